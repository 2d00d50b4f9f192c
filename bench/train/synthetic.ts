import { seededRandom } from '../../src/workers/tf/params';
import type { TrainData } from '../../src/workers/tf/train';

/** Random CIFAR-shaped records (training speed does not depend on the pixels), seeded. */
export function syntheticCifar(trainImages: number, testImages = 64, classes = 10): TrainData {
  const random = seededRandom(1);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const labels = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * classes));
  return { trainImages: bytes(trainImages * 3072), trainLabels: labels(trainImages), testImages: bytes(testImages * 3072), testLabels: labels(testImages), classes };
}
