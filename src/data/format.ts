/**
 * The CIFAR binary format, the one home of its facts: image size and planes, record layout per
 * dataset (label bytes, classes, file names and sizes), class names, and the per-channel
 * normalisation statistics of each dataset. Pure data: the reader (cifar.ts), the sources, the
 * compute worker's input pipeline and the UI all import it.
 *
 * A record is the label byte(s) then the image: the red, green and blue 32x32 planes, each
 * row-major (CHW). CIFAR-10: `<label><image>`; CIFAR-100: `<coarse label><fine label><image>`.
 */

export type CifarKind = 'cifar10' | 'cifar100';

export const CIFAR_KINDS: readonly CifarKind[] = ['cifar10', 'cifar100'];

export const CIFAR_IMAGE_SIZE = 32;
export const CIFAR_CHANNELS = 3;
/** Pixels of one plane (one channel of one image). */
export const CIFAR_PLANE = CIFAR_IMAGE_SIZE * CIFAR_IMAGE_SIZE;
export const CIFAR_IMAGE_BYTES = CIFAR_PLANE * CIFAR_CHANNELS;

export const CIFAR10_CLASS_NAMES: readonly string[] = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

/** fine_label_names.txt of the CIFAR-100 binary archive, in label order. */
export const CIFAR100_CLASS_NAMES: readonly string[] = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
];

/** coarse_label_names.txt of the CIFAR-100 binary archive, in label order. */
export const CIFAR100_COARSE_CLASS_NAMES: readonly string[] = [
  'aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables',
  'household_electrical_devices', 'household_furniture', 'insects', 'large_carnivores',
  'large_man-made_outdoor_things', 'large_natural_outdoor_scenes', 'large_omnivores_and_herbivores',
  'medium_mammals', 'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals', 'trees',
  'vehicles_1', 'vehicles_2',
];

export interface ChannelStats {
  /** Per-channel mean and standard deviation on the 0-255 scale, R, G, B. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/**
 * Training-set statistics as the ResNeXt code uses them (facebookresearch/ResNeXt, from
 * fb.resnet.torch: datasets/cifar10.lua and cifar100.lua), on the 0-255 scale. The compute worker
 * normalises each dataset with its own entry. Divided by 255 they are the familiar
 * (0.4914, 0.4822, 0.4465) / (0.2470, 0.2435, 0.2616); the (0.2023, 0.1994, 0.2010) seen in many
 * repositories is the mean of per-image deviations, not the dataset's.
 */
export const CIFAR_NORMALIZATION: Readonly<Record<CifarKind, ChannelStats>> = {
  cifar10: { mean: [125.3, 123.0, 113.9], std: [63.0, 62.1, 66.7] },
  cifar100: { mean: [129.3, 124.1, 112.4], std: [68.2, 65.4, 70.4] },
};

/** What each kind's binary files are called and hold (the cifar.html "Binary version" section). */
export interface CifarLayout {
  kind: CifarKind;
  title: string;
  /** The folder of the official archive. */
  folder: string;
  archiveName: string;
  /** Label bytes before the pixels; the fine label is the last of them. */
  labelBytes: 1 | 2;
  classes: number;
  coarseClasses?: number;
  /** Records of a full file: each CIFAR-10 batch holds 10000; CIFAR-100's train.bin 50000. */
  maxTrainRecordsPerFile: number;
  maxTestRecords: number;
}

export const CIFAR_LAYOUTS: Readonly<Record<CifarKind, CifarLayout>> = {
  cifar10: {
    kind: 'cifar10',
    title: 'CIFAR-10',
    folder: 'cifar-10-batches-bin',
    archiveName: 'cifar-10-binary.tar.gz',
    labelBytes: 1,
    classes: 10,
    maxTrainRecordsPerFile: 10000,
    maxTestRecords: 10000,
  },
  cifar100: {
    kind: 'cifar100',
    title: 'CIFAR-100',
    folder: 'cifar-100-binary',
    archiveName: 'cifar-100-binary.tar.gz',
    labelBytes: 2,
    classes: 100,
    coarseClasses: 20,
    maxTrainRecordsPerFile: 50000,
    maxTestRecords: 10000,
  },
};

export function recordBytes(kind: CifarKind): number {
  return CIFAR_LAYOUTS[kind].labelBytes + CIFAR_IMAGE_BYTES;
}


/** Classes of a dataset (its fine labels for CIFAR-100). */
export function classCount(kind: CifarKind): number {
  return CIFAR_LAYOUTS[kind].classes;
}

/** Class names of a dataset, indexed by (fine) label. */
export function classNamesOf(kind: CifarKind): readonly string[] {
  return kind === 'cifar10' ? CIFAR10_CLASS_NAMES : CIFAR100_CLASS_NAMES;
}
