/**
 * The exporter (src/export) and `npm run export`: golden files, determinism, Python syntax, and
 * agreement with the app's graph. Running the generated files in PyTorch (param counts, state_dict
 * keys against torchvision, outputs) needs torch, which CI lacks: that is
 * `/usr/bin/python3 scripts/golden/check_export.py`, run by hand.
 *
 * UPDATE_GOLDEN=1 npx vitest run src/cli/export.test.ts   rewrites src/export/__golden__/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stateDictShapes, toKeras, toPyTorch } from '../export';
import {
  type ArchSpec,
  EFFICIENTNET_COEFFICIENTS,
  type EfficientNetSpec,
  type ResNetSpec,
  PRESETS,
  analyze,
  compoundScale,
  findPreset,
  paramInfos,
  paramSize,
  trainableCount,
} from '../models';
import { runExport } from './exportCommand';

const HERE = dirname(fileURLToPath(import.meta.url));
const GOLDEN_DIR = join(HERE, '..', 'export', '__golden__');
const EXPORT_DIR = join(HERE, '..', 'export');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const preset = (name: string): ArchSpec => {
  const p = findPreset(name);
  if (!p) throw new Error(`no preset ${name}`);
  return p.spec;
};
const resnetPreset = (name: string): ResNetSpec => {
  const spec = preset(name);
  if (spec.family !== 'resnet') throw new Error(`${name} is not a ResNet-family preset`);
  return spec;
};
const efficientNetPreset = (name: string): EfficientNetSpec => {
  const spec = preset(name);
  if (spec.family !== 'efficientnet') throw new Error(`${name} is not an EfficientNet preset`);
  return spec;
};
const resnext50 = resnetPreset('resnext50_32x4d');

/** The designs whose exports are committed, covering every template the exporter writes. */
const GOLDEN_DESIGNS: { id: string; spec: ArchSpec }[] = [
  { id: 'resnext50_32x4d', spec: resnext50 },
  { id: 'cifar_resnext29_8x64d', spec: preset('cifar_resnext29_8x64d') },
  { id: 'iresnet50', spec: preset('iresnet50') },
  { id: 'efficientnet_b0', spec: preset('efficientnet_b0') },
  { id: 'resnet50_phi1', spec: compoundScale(preset('resnet50'), { phi: 1, ...EFFICIENTNET_COEFFICIENTS }) },
  { id: 'resgroup50', spec: preset('resgroup50') },
  { id: 'resnext50_32x4d_no_shortcuts', spec: { ...resnext50, name: 'resnext50_32x4d without shortcuts', shortcuts: false } },
  { id: 'resnet18', spec: preset('resnet18') },
];

const GOLDEN_FILES: { file: string; generate: () => string }[] = [
  ...GOLDEN_DESIGNS.flatMap(({ id, spec }) => [
    { file: `${id}.pytorch.py`, generate: () => toPyTorch(spec) },
    { file: `${id}.keras.py`, generate: () => toKeras(spec) },
  ]),
  { file: 'cifar_resnext29_8x64d.train.pytorch.py', generate: () => toPyTorch(preset('cifar_resnext29_8x64d'), { trainingScript: true }) },
];

/** Specs that reach the other corners: ResStage with basic blocks, max-pool-only shortcuts, overrides, odd names. */
const EDGE_SPECS: ArchSpec[] = [
  {
    ...resnetPreset('iresnet50'),
    name: 'iResNet, basic blocks, no shortcuts',
    block: 'basic',
    expansion: 1,
    shortcuts: false,
  },
  {
    ...resnetPreset('resnet18'),
    name: 'max-pool shortcut """ \' \\ \n naïve ☃ 😀',
    improvedShortcut: true,
    stem: { width: 64, kernel: 5, stride: 1, maxPool: true },
    stages: [
      { blocks: 1, planes: 64, stride: 1 },
      { blocks: 2, planes: 64, stride: 2 },
    ],
    input: { resolution: 40, channels: 1, classes: 5 },
  },
  {
    ...resnext50,
    name: 'overrides and multipliers',
    expansion: 1.5,
    form: 'a',
    stages: [
      { blocks: 2, planes: 64, stride: 1, groups: 8 },
      { blocks: 2, planes: 128, stride: 2, width: 96, groups: 8 },
    ],
    depthMultiplier: 1.3,
    widthMultiplier: 0.9,
  },
  { ...efficientNetPreset('efficientnet_b3'), name: 'EfficientNet-B3, no SE, no skips', seRatio: 0, shortcuts: false, dropout: 0 },
];

function python3(args: string[], input?: string): string {
  try {
    return execFileSync('python3', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error('python3 is not on PATH: the export tests need it to check that the generated Python parses (install Python 3.8+).', {
        cause: e,
      });
    }
    throw new Error(`python3 ${args.join(' ')} failed:\n${err.stderr ?? err.message}`, { cause: e });
  }
}

describe('golden exports', () => {
  it.each(GOLDEN_FILES.map((g) => [g.file, g] as const))('%s is deterministic and equals its golden file', (file, g) => {
    const text = g.generate();
    expect(g.generate()).toBe(text);
    const path = join(GOLDEN_DIR, file);
    if (UPDATE) {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(path, text);
    }
    expect(existsSync(path), `${path} is missing: run UPDATE_GOLDEN=1 npx vitest run src/cli/export.test.ts`).toBe(true);
    expect(text, `${file} differs from its golden file; if the change is intended, run UPDATE_GOLDEN=1 npx vitest run src/cli/export.test.ts`).toBe(
      readFileSync(path, 'utf8'),
    );
  });

  it('there are no stale golden files', () => {
    const expected = GOLDEN_FILES.map((g) => g.file).sort();
    expect(readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.py')).sort()).toEqual(expected);
  });
});

describe('every export is valid Python', () => {
  it('python3 -m py_compile accepts the exports of every preset, the golden designs and the edge cases', () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-'));
    const files: string[] = [];
    const write = (name: string, text: string) => {
      const path = join(dir, `${name.replace(/[^A-Za-z0-9_]+/g, '_')}.py`);
      writeFileSync(path, text);
      files.push(path);
    };
    const specs = [...PRESETS.map((p) => p.spec), ...GOLDEN_DESIGNS.map((d) => d.spec), ...EDGE_SPECS];
    specs.forEach((spec, i) => {
      write(`pytorch_${i}`, toPyTorch(spec));
      write(`keras_${i}`, toKeras(spec));
    });
    write('training', toPyTorch(EDGE_SPECS[1]!, { trainingScript: true }));
    // py_compile writes __pycache__ beside the sources: keep it in the temp dir.
    python3(['-m', 'py_compile', ...files]);
    expect(files.length).toBe(2 * specs.length + 1);
  }, 60_000);

  it('a name full of quotes, backslashes, newlines and non-ASCII reaches Python intact, and comments escaped', () => {
    const spec = EDGE_SPECS[1]!;
    const dir = mkdtempSync(join(tmpdir(), 'export-name-'));
    const script = join(dir, 'model_name.py');
    writeFileSync(
      script,
      'import ast, json, sys\nfor n in ast.parse(sys.stdin.read()).body:\n    if isinstance(n, ast.Assign) and n.targets[0].id == "MODEL_NAME":\n        print(json.dumps(ast.literal_eval(n.value)))\n',
    );
    for (const text of [toPyTorch(spec, { trainingScript: true }), toKeras(spec)]) {
      expect(JSON.parse(python3([script], text))).toBe(spec.name);
      expect(text).not.toContain('\n naïve');
      expect(text).toContain('# max-pool shortcut """ \' \\\\ \\n na\\u00efve \\u2603 \\U0001f600: ');
    }
  });
});

describe('exports agree with the app', () => {
  it.each(PRESETS.map((p) => [p.name, p.spec] as const))('%s: counts, state_dict keys and numbers come from the graph', (_name, spec) => {
    const a = analyze(spec);
    if (!a.ok) throw new Error('preset is invalid');
    const pytorch = toPyTorch(spec);
    const keras = toKeras(spec);
    for (const text of [pytorch, keras]) {
      expect(text).toContain(`APP_PARAMS = ${a.stats.totals.params}\n`);
      expect(text).toContain(`RESOLUTION = ${spec.input.resolution}\n`);
      expect(text).toContain(`NUM_CLASSES = ${spec.input.classes}\n`);
    }
    // The state_dict the export must have: the tfjs parameters' keys, in PyTorch layouts.
    const shapes = stateDictShapes(spec);
    const infos = paramInfos(a.graph);
    expect(Object.keys(shapes)).toEqual(infos.map((i) => i.key));
    for (const info of infos) {
      const shape = shapes[info.key]!;
      expect(shape.reduce((x, y) => x * y, 1)).toBe(paramSize(info));
    }
    const trainable = Object.entries(shapes)
      .filter(([k]) => !k.endsWith('running_mean') && !k.endsWith('running_var'))
      .reduce((n, [, s]) => n + s.reduce((x, y) => x * y, 1), 0);
    expect(trainable).toBe(a.stats.totals.params);
    expect(trainable).toBe(trainableCount(infos));
  });

  it('ResNet-family exports list the resolved stages (Table 1 rows) and EfficientNet the scaled MBConv table', () => {
    expect(toPyTorch(resnext50)).toContain('StageConfig(blocks=6, width=512, out_channels=1024, stride=2, groups=32)');
    expect(toKeras(resnext50)).toContain('StageConfig(blocks=3, width=1024, out_channels=2048, stride=2, groups=32)');
    const resgroup = toPyTorch(preset('resgroup50'));
    expect(resgroup).toContain('StageConfig(blocks=3, width=256, out_channels=128, stride=1, groups=8)');
    expect(resgroup).toContain('StageConfig(blocks=3, width=2048, out_channels=1024, stride=2, groups=64)');
    // Compound scaling is resolved: ceil(6 * 1.2) = 8 blocks, make_divisible(256 * 1.1) = 280 planes.
    const phi1 = compoundScale(preset('resnet50'), { phi: 1, ...EFFICIENTNET_COEFFICIENTS });
    expect(toPyTorch(phi1)).toContain('StageConfig(blocks=8, width=280, out_channels=1120, stride=2, groups=1)');
    const b7 = toPyTorch(preset('efficientnet_b7'));
    expect(b7).toContain('MBConvConfig(expand_ratio=6, kernel=5, stride=2, input_channels=48, out_channels=80, num_layers=7)');
    expect(b7).toContain('last_channel=2560');
  });

  it('every spec option reaches the generated code', () => {
    const iresnet = toPyTorch(preset('iresnet50'));
    expect(iresnet).toContain('class ResStageBottleneck');
    expect(iresnet).toContain('nn.MaxPool2d(kernel_size=3, stride=stride, padding=1)');
    expect(iresnet).toContain('stem_max_pool=False');
    expect(iresnet).not.toContain('class Bottleneck(');
    expect(toPyTorch(preset('resnet18'))).toContain('        BasicBlock,\n');
    expect(toPyTorch(EDGE_SPECS[0]!)).toContain('        ResStageBasicBlock,\n');
    expect(toPyTorch(EDGE_SPECS[0]!)).toContain('shortcut=False');
    expect(toPyTorch(EDGE_SPECS[1]!)).toContain('stem_kernel=5,\n        stem_stride=1,\n        stem_padding=2,');
    expect(toKeras(EDGE_SPECS[1]!)).toContain('x = conv2d(inputs, 64, 5, 1, padding=2, name="conv1")');
    const effnet = toPyTorch(EDGE_SPECS[3]!);
    expect(effnet).toContain('se_ratio=0,');
    expect(effnet).toContain('shortcut=False,');
    expect(effnet).toContain('dropout=0,');
    expect(toKeras(EDGE_SPECS[3]!)).toContain('SE_RATIO = 0\nSHORTCUT = False');
  });

  it('forms (a) and (b) are exported in form (c), and say so', () => {
    const formC = toPyTorch(resnext50);
    for (const form of ['a', 'b'] as const) {
      const text = toPyTorch({ ...resnext50, form });
      expect(text).toContain(`(it showed form (${form}))`);
      const code = (t: string) => t.slice(t.indexOf('\nMODEL_NAME = '));
      expect(code(text)).toBe(code(formC));
      expect(stateDictShapes({ ...resnext50, form })).toEqual(stateDictShapes(resnext50));
    }
    expect(formC).toContain('form (c) of ResNeXt Fig. 3');
  });

  it('torchvision presets say their pretrained weights load; dialled designs do not', () => {
    expect(toPyTorch(resnext50)).toContain('torchvision.models.resnext50_32x4d(weights="DEFAULT")');
    expect(toPyTorch(preset('efficientnet_b4'))).toContain('torchvision.models.efficientnet_b4(weights="DEFAULT")');
    expect(toPyTorch({ ...resnext50, cardinality: 16 })).not.toContain('weights="DEFAULT"');
    expect(toPyTorch(preset('iresnet50'))).not.toContain('weights="DEFAULT"');
  });

  it('the training script follows the paper and runs under torchrun', () => {
    const text = toPyTorch(preset('cifar_resnext29_8x64d'), { trainingScript: true });
    for (const part of [
      'momentum", type=float, default=0.9',
      'weight-decay", type=float, default=5e-4',
      'lr", type=float, default=0.1',
      'batch-size", type=int, default=128',
      'epochs", type=int, default=300',
      'max(1, args.epochs // 2), max(1, args.epochs * 3 // 4)',
      'T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()',
      'datasets.CIFAR10 if args.dataset == "cifar10" else datasets.CIFAR100',
      'DistributedDataParallel(model',
      'DistributedSampler(train_set',
      '"RANK" in os.environ and "WORLD_SIZE" in os.environ',
      '    main()\n',
    ]) {
      expect(text).toContain(part);
    }
    expect(toPyTorch({ ...resnetPreset('cifar_resnext29_8x64d'), input: { resolution: 32, channels: 3, classes: 100 } }, { trainingScript: true })).toContain(
      'default="cifar100"',
    );
    expect(toPyTorch(resnext50, { trainingScript: true })).toContain("CIFAR's are 32x32");
    expect(toPyTorch(resnext50)).not.toContain('def train(');
  });

  it('an invalid spec is refused with the validation errors', () => {
    expect(() => toPyTorch({ ...resnext50, cardinality: 0 })).toThrow('cardinality: must be at least 1 (got 0)');
    expect(() => toKeras({ ...efficientNetPreset('efficientnet_b0'), seRatio: 2 })).toThrow('seRatio: must be at most 1 (got 2)');
  });
});

describe('src/export is pure TypeScript, like src/models', () => {
  it('imports only src/models and its own files', () => {
    // The exporters themselves; their unit tests may import vitest.
    const files = readdirSync(EXPORT_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files).toContain('pytorch.ts');
    expect(files).toContain('safetensors.ts');
    for (const f of files) {
      const imports = [...readFileSync(join(EXPORT_DIR, f), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
      for (const source of imports) expect(source, `${f} imports ${source}`).toMatch(/^(\.\/[A-Za-z]+|\.\.\/models\/index)$/);
    }
  });

  it('type-checks without the DOM library or Node types (src/export/tsconfig.json)', () => {
    const tsc = join(HERE, '..', '..', 'node_modules', '.bin', 'tsc');
    expect(() => execFileSync(tsc, ['-p', join(EXPORT_DIR, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  }, 120_000);
});

describe('npm run export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'export-cli-'));

  it('prints the PyTorch or Keras file for a preset', () => {
    const r = runExport(['resnext50_32x4d', '--to', 'pytorch']);
    expect(r).toEqual({ code: 0, stdout: toPyTorch(resnext50), stderr: '' });
    expect(runExport(['efficientnet_b0', '--to', 'keras']).stdout).toBe(toKeras(preset('efficientnet_b0')));
    expect(runExport(['cifar_resnext29_8x64d', '--to', 'pytorch', '--training-script']).stdout).toBe(
      toPyTorch(preset('cifar_resnext29_8x64d'), { trainingScript: true }),
    );
  });

  it('--out writes the file', () => {
    const file = join(dir, 'model.py');
    const r = runExport(['iresnet50', '--to', 'pytorch', '--out', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${file}: iresnet50 (pytorch), 25,557,032 params\n`);
    expect(readFileSync(file, 'utf8')).toBe(toPyTorch(preset('iresnet50')));
    expect(runExport(['iresnet50', '--to', 'pytorch', '--out', join(dir, 'no', 'such', 'dir.py')]).stderr).toContain('cannot write');
  });

  it('--to state-dict lists the keys and PyTorch shapes', () => {
    const r = runExport(['resnet50', '--to', 'state-dict']);
    const json = JSON.parse(r.stdout) as { name: string; params: number; stateDict: Record<string, number[]> };
    expect(json.params).toBe(25_557_032);
    expect(json.stateDict['layer1.0.conv2.weight']).toEqual([64, 64, 3, 3]);
    expect(json.stateDict['layer1.0.downsample.0.weight']).toEqual([256, 64, 1, 1]);
    expect(json.stateDict['fc.weight']).toEqual([1000, 2048]);
    // torchvision's 320 keys less its 53 BatchNorm num_batches_tracked counters.
    expect(Object.keys(json.stateDict)).toHaveLength(267);
  });

  it('a spec file, --classes and --resolution work', () => {
    const file = join(dir, 'mini.json');
    writeFileSync(file, JSON.stringify({ family: 'resnet', name: 'mini', cardinality: 4, bottleneckWidth: 8, stages: [{ blocks: 2, planes: 64, stride: 1 }] }));
    const r = runExport([file, '--to', 'keras', '--classes', '7', '--resolution', '64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('MODEL_NAME = "mini"\nRESOLUTION = 64\nIN_CHANNELS = 3\nNUM_CLASSES = 7\n');
  });

  it('an unknown preset lists the known ones and fails', () => {
    const r = runExport(['resnet51', '--to', 'pytorch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown preset "resnet51"');
    for (const p of PRESETS) expect(r.stderr).toContain(p.name);
  });

  it('a bad spec prints the validation errors and fails', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ family: 'resnet', cardinality: 0, stages: [{ blocks: 2, planes: 64, stride: 3 }] }));
    const r = runExport([file, '--to', 'pytorch']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('cardinality: must be at least 1 (got 0)');
    expect(r.stderr).toContain('stages[0].stride: must be one of 1, 2 (got 3)');
    writeFileSync(file, '{ not json');
    expect(runExport([file, '--to', 'pytorch']).stderr).toContain('is not valid JSON');
    expect(runExport([join(dir, 'missing.json'), '--to', 'pytorch']).stderr).toContain('cannot read');
  });

  it('bad flags are refused with the usage line', () => {
    expect(runExport(['resnet50']).stderr).toContain('--to must be one of pytorch, keras, state-dict (got nothing)');
    expect(runExport(['resnet50', '--to', 'onnx']).stderr).toContain('(got "onnx")');
    expect(runExport(['resnet50', '--to', 'keras', '--training-script']).stderr).toContain('--training-script goes with --to pytorch only');
    expect(runExport(['resnet50', '--to', 'keras', '--classes', '0']).stderr).toContain('--classes must be a positive whole number');
    expect(runExport(['resnet50', '--bogus']).code).toBe(1);
    expect(runExport([]).code).toBe(1);
    expect(runExport(['--help']).stdout).toContain('usage: npm run export');
  });
});
