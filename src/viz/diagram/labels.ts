/**
 * Labels in the paper's style (ResNeXt Fig. 3: "256, 1x1, 4" = in channels, filter size, out channels),
 * shared by every form of the block diagram.
 */

export const convLabel = (inChannels: number, kernel: number, outChannels: number): string => `${inChannels}, ${kernel}x${kernel}, ${outChannels}`;

export const groupsLabel = (groups: number): string => `groups=${groups}`;

export const strideLabel = (stride: number): string => `stride ${stride}`;

export const totalPathsLabel = (cardinality: number): string => `total ${cardinality} ${cardinality === 1 ? 'path' : 'paths'}`;

/** "256-d in" / "256-d out", as the paper writes a block's input and output. */
export const ioLabel = (channels: number, end: 'in' | 'out'): string => `${channels}-d ${end}`;

/** Joins the notes of a box: "groups=32, stride 2". */
export const joinNotes = (...parts: (string | false | undefined)[]): string | undefined => parts.filter(Boolean).join(', ') || undefined;

/** The note of the concatenation box (form b): "128 channels (32×4)". */
export const concatNote = (cardinality: number, branchWidth: number): string =>
  `${cardinality * branchWidth} channels (${cardinality}×${branchWidth})`;
