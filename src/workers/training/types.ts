/**
 * What a training run takes and reports: the data, each step's and each evaluation's metrics, and the
 * checkpoint a run resumes from. Types only (they cross the worker boundary, see ../protocol.ts).
 */
import type { CifarKind } from '../../data/format';
import type { ParamValues } from '../engine/params';
import type { TrainSettings } from './settings';

export interface TrainData {
  /** N records of CIFAR_IMAGE_BYTES each, the CIFAR file's planes (R, G, B; 32x32 row-major). */
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
  /** Which dataset: sets the classes (must equal the spec's `input.classes`) and the input normalisation. */
  dataset: CifarKind;
}

export interface StepMetrics {
  /** Steps completed, this one included (1-based). */
  step: number;
  /** Epochs completed, fractional (step / stepsPerEpoch). */
  epoch: number;
  loss: number;
  /** Accuracy on this (augmented) batch, 0-1. */
  accuracy: number;
  /** The learning rate this step used. */
  lr: number;
  /** This step's images over its wall time, measured to the loss being read back (await data). */
  imagesPerSecond: number;
  /** Seconds to the end of the run at the recent pace (exponential average of step times). */
  etaSeconds: number;
}

export interface EvalMetrics {
  split: 'test' | 'train';
  images: number;
  /** Mean softmax cross-entropy. */
  loss: number;
  accuracy: number;
  /** Per true class: correct / images of the class (NaN for a class with no images). */
  perClassAccuracy: number[];
  /** confusion[trueClass][predictedClass] = count. */
  confusion: number[][];
  seconds: number;
}

export interface TrainCheckpoint {
  version: 1;
  specName: string;
  /** Steps completed. */
  step: number;
  /** The settings of the run, `learningRate` being the base in force (after setLearningRate). */
  settings: TrainSettings;
  /** state_dict: parameters and BatchNorm running statistics, tfjs layouts (see params.ts). */
  params: ParamValues;
  /** SGD momentum buffers, keyed by the parameter they belong to. */
  momentum: ParamValues;
  /** The weight average of a run with settings.ema (every state_dict entry). */
  ema?: ParamValues;
  /** Wall seconds the run had trained when this was saved (its held-out timeline goes on from here). */
  seconds?: number;
  /** The whole generator state: every random draw of step s comes from (seed, s). */
  rng: { algorithm: 'mulberry32'; seed: number; step: number };
}
