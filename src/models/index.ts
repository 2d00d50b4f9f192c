/**
 * The architecture core: spec -> graph -> stats. Pure TypeScript, shared by the UI, the workers,
 * the tests and the command-line tool.
 */
export * from './analyze';
export * from './complexity';
export * from './convention';
export * from './format';
export * from './graph';
export * from './naming';
export * from './papers';
export * from './params';
export * from './registry';
export * from './random';
export * from './rules';
export * from './scaling';
export * from './spec';
export * from './stats';
export * from './validate';
export { resolveResNetStages } from './families/resnet';
export { resolveEfficientNetStages } from './families/efficientnet';
