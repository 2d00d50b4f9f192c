/**
 * Spec -> one self-contained PyTorch file (torch + torchvision only), written the way torchvision
 * writes ResNet and EfficientNet: block classes, a network class with `_make_layer`, and the
 * design's numbers as constructor arguments. Module names follow the graph's op names, so the
 * `state_dict` keys are the app's parameter names (and torchvision's for its models).
 */
import type { ArchSpec, ValidAnalysis } from '../models/index';
import { type Design, designOf } from './design';
import { efficientNetModule } from './pytorchEfficientNet';
import { resnetModule } from './pytorchResNet';
import { header, torchvisionName } from './python';
import { countVerdict, formNote, modelConstants } from './snippets';
import { trainingScript } from './training';

export interface PyTorchOptions {
  /** Append a CIFAR-10/100 training script (the ResNeXt paper's recipe), run with `--train`. */
  trainingScript?: boolean;
}

export function toPyTorch(spec: ArchSpec, options: PyTorchOptions = {}): string {
  const { analysis, design } = designOf(spec);
  const withTraining = options.trainingScript === true;
  const lines = [
    ...header(analysis, 'PyTorch', usage(analysis, design, withTraining)),
    '',
    ...imports(design, withTraining),
    '',
    ...modelConstants(analysis, design, "The app's counts for this design (params exclude BatchNorm running statistics)."),
    '',
    '',
    ...(design.family === 'resnet' ? resnetModule(design) : efficientNetModule(design)),
    '',
    '',
    ...checkFunction(),
    ...(withTraining ? ['', '', ...trainingScript(analysis.spec)] : []),
    '',
    '',
    'if __name__ == "__main__":',
    withTraining ? '    main()' : '    check()',
  ];
  return `${lines.join('\n')}\n`;
}

function usage(a: ValidAnalysis, design: Design, withTraining: boolean): string[] {
  const tv = torchvisionName(a.spec);
  const lines = [
    'Needs torch and torchvision only. `python3 this_file.py` builds the model, prints its parameter',
    'count beside the app\'s and runs a zero image through it.',
  ];
  if (withTraining) {
    lines.push(
      '`python3 this_file.py --train` trains it on CIFAR-10/100 with the ResNeXt paper\'s recipe, on one',
      'process; `torchrun --nproc_per_node=N this_file.py --train` trains on N processes (GPUs) with',
      'DistributedDataParallel. `--help` lists the options.',
    );
  }
  lines.push(
    '',
    'Module names are the app\'s layer names (torchvision\'s module names), so state_dict keys are',
    '`<layer>.weight`, `.bias`, `.running_mean`, `.running_var` exactly as the app lists them.',
  );
  if (tv) {
    lines.push(
      `This is torchvision's ${tv}: its pretrained weights load as they are,`,
      `  model.load_state_dict(torchvision.models.${tv}(weights="DEFAULT").state_dict())`,
    );
  }
  if (design.family === 'resnet') {
    lines.push(...formNote(a.spec, 'same parameters, and (c) is the compact, fast one that torchvision uses.'));
  }
  return lines;
}

function imports(design: Design, withTraining: boolean): string[] {
  const lines = withTraining ? ['import argparse', 'import os', 'import time'] : [];
  if (design.family === 'efficientnet') lines.push('import copy');
  lines.push('from dataclasses import dataclass', 'from typing import List, Optional', '', 'import torch', 'from torch import nn');
  if (withTraining) {
    lines.push('import torch.distributed as dist', 'from torch.nn.parallel import DistributedDataParallel', 'from torch.utils.data import DataLoader, Subset');
    lines.push('from torch.utils.data.distributed import DistributedSampler', 'from torchvision import datasets', 'from torchvision import transforms as T');
  }
  if (design.family === 'efficientnet') lines.push('from torchvision.ops import StochasticDepth');
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The check every export runs: parameter count against the app's, and a forward pass
// ---------------------------------------------------------------------------------------------

function checkFunction(): string[] {
  return [
    'def check() -> None:',
    '    """Builds the model, compares its parameter count with the app\'s and runs one zero image."""',
    '    model = build_model()',
    '    params = sum(p.numel() for p in model.parameters())',
    `    print(f"{MODEL_NAME}: {params} params ${countVerdict('params')}")`,
    '    model.eval()',
    '    with torch.no_grad():',
    '        output = model(torch.zeros(1, IN_CHANNELS, RESOLUTION, RESOLUTION))',
    '    print(f"output shape for a 1x{IN_CHANNELS}x{RESOLUTION}x{RESOLUTION} input: {tuple(output.shape)}")',
  ];
}
