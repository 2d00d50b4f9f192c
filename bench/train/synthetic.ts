import { CIFAR_IMAGE_BYTES } from '../../src/data/format';
import { Mulberry32 } from '../../src/models';
import type { TrainData } from '../../src/workers/training/types';

/** Random CIFAR-shaped records (training speed does not depend on the pixels), seeded. */
export function syntheticCifar(trainImages: number, testImages = 64, dataset: TrainData['dataset'] = 'cifar10'): TrainData {
  const random = new Mulberry32(1);
  const classes = dataset === 'cifar10' ? 10 : 100;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => random.int(256));
  const labels = (n: number) => Uint8Array.from({ length: n }, () => random.int(classes));
  return { trainImages: bytes(trainImages * CIFAR_IMAGE_BYTES), trainLabels: labels(trainImages), testImages: bytes(testImages * CIFAR_IMAGE_BYTES), testLabels: labels(testImages), dataset };
}
