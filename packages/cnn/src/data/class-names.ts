/** Class names of the well-known datasets, in label order. */

export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** CIFAR-100 without its fine_label_names.txt: "class_0" to "class_99". */
export const CIFAR100_DEFAULT_CLASS_NAMES = Array.from({ length: 100 }, (_, i) => `class_${i}`);

/** Names for labels 0..count-1 when a format brings none: the label itself, as MNIST's digits are. */
export function numberedClassNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(i));
}
