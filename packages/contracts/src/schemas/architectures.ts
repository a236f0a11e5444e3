/** GET /v1/architectures: the model catalog. */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum, json, keyOperation, Shape3 } from './common.js';

export const ArchitectureViewSchema = Type.Object(
  {
    name: Type.String({ description: 'What model.architecture of a job names' }),
    family: StringEnum(['lenet', 'alexnet', 'vgg', 'googlenet', 'inception', 'resnet', 'densenet'] as const),
    description: Type.String(),
    nativeInputShape: Shape3({ description: 'The input the variant was designed for: [height, width, channels]' }),
    defaultClasses: Type.Integer(),
    minInputSize: Type.Integer({ description: 'Smallest height and width the variant accepts' }),
    options: Type.Array(StringEnum(['dropout', 'auxLogits', 'smallInput'] as const), { description: 'model.options it understands' }),
    parameters: Nullable(Type.Integer({ description: 'Trainable parameters at the native input and default classes' })),
  },
  { title: 'Architecture' },
);
export type ArchitectureView = Static<typeof ArchitectureViewSchema>;
export const ArchitectureListSchema = Type.Object({ architectures: Type.Array(ArchitectureViewSchema) });
export type ArchitectureList = Static<typeof ArchitectureListSchema>;

export const listArchitectures = keyOperation('GET', '/v1/architectures', {
  operationId: 'listArchitectures',
  summary: 'The model catalog, with parameter counts and minimum input sizes',
  tags: ['architectures'],
  response: { 200: json('The catalog', ArchitectureListSchema) },
});
