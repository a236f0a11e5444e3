import torchvision.models as m, torchvision
names = ['alexnet','vgg11','vgg11_bn','vgg13','vgg13_bn','vgg16','vgg16_bn','vgg19','vgg19_bn','googlenet','inception_v3','resnet18','resnet34','resnet50','resnet101','resnet152','densenet121','densenet161','densenet169','densenet201']
print('torchvision', torchvision.__version__)
for n in names:
    kw = {}
    if n == 'googlenet': kw = dict(aux_logits=True, init_weights=False)
    if n == 'inception_v3': kw = dict(aux_logits=True, init_weights=False)
    model = getattr(m, n)(**kw)
    print(n, sum(p.numel() for p in model.parameters() if p.requires_grad))
