import { describe, expect, it } from 'vitest';
import { isFocused, rowsToOpen, useLayerFocus } from './layerFocus';

describe('layer focus', () => {
  it('highlights the named layers and what is inside them, not their namesakes', () => {
    const f = { names: ['layer1.1'], seq: 1 };
    expect(isFocused(f, 'layer1.1')).toBe(true);
    expect(isFocused(f, 'layer1.1.conv2')).toBe(true);
    expect(isFocused(f, 'layer1.10')).toBe(false);
    expect(isFocused(f, 'layer1')).toBe(false);
    expect(isFocused(null, 'layer1.1')).toBe(false);
  });

  it('opens the ancestors and the layer itself', () => {
    const rows = ['conv1', 'layer1', 'layer1.0', 'layer1.0.conv1', 'layer1.1', 'layer1.1.conv1', 'layer2', 'features.2', 'features.2.1'];
    expect(rowsToOpen({ names: ['layer1.1'], seq: 1 }, rows)).toEqual(['layer1', 'layer1.1']);
    expect(rowsToOpen({ names: ['features.2.1.block.1.0'], seq: 1 }, rows)).toEqual(['features.2', 'features.2.1']);
  });

  it('every request is new, so the same block can be asked for twice', () => {
    useLayerFocus.getState().show(['layer1.1']);
    const first = useLayerFocus.getState().focus!.seq;
    useLayerFocus.getState().show(['layer1.1']);
    expect(useLayerFocus.getState().focus!.seq).toBe(first + 1);
  });
});
