/**
 * `npm run bench:tta -- --data <archive|dir> [--preset lesson_resnext11_8x4d] [--recipe fast|paper]
 *   [--minutes 5] [--seeds 1] [--first-seed 1] [--batch 32] [--lr 0.05] [--backend wasm] [--port 4326]
 *   [--no-torch] [--set key=value,...] [--out file.json]`
 *
 * Time to accuracy, through the real app: builds it, serves it with `vite preview` (its own port),
 * loads the archive through the Train tab's file input in headless Chromium, and for each seed trains
 * `--preset` with `--recipe` and a time budget of `--minutes` (the app sizes the schedule to it),
 * then reads the run record from IndexedDB: the held-out timeline the app evaluated on its cadence,
 * the final full-test accuracy. Prints one JSON object: per seed the timeline
 * [{seconds, images, heldOutAccuracy}], the final accuracy, seconds to the first evaluation (the job's
 * clock, and as the page saw it after the Train click), seconds to 50/60/70/80% held-out accuracy,
 * and their medians over seeds.
 *
 * With Debian's PyTorch (BENCH_PYTHON, default /usr/bin/python3; --no-torch or BENCH_TORCH=0 skips it)
 * each seed is followed by the app's PyTorch export of the same preset trained by
 * bench/tta/torch_tta.py with the same recipe, batch, rate, seed and wall time on the same number of
 * threads as our WASM backend (OMP_WAIT_POLICY=PASSIVE: libgomp's spinning costs it dearly on a shared
 * machine), evaluating the same held-out slice on the same cadence; `vsPyTorch` is our time to X%
 * over PyTorch-CPU's. Not a test: the machine is shared, so one run's ratios are what to quote.
 *
 * `--set labelSmoothing=0,zeroInitResidual=false` changes tricks of the recipe in the Train tab after
 * choosing it (keys of the settings schema, SETTING_FIELDS: what one trick buys at a fixed budget); the
 * PyTorch peer gets the same recipe (as JSON: no second copy of the recipes in Python).
 */
import type { Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runExport } from '../src/cli/exportCommand';
import { RECIPES, SETTING_FIELDS } from '../src/workers/training/settings';
import { withPreview } from './preview';
import { type TimelinePoint, atOurBest, effectiveImagesPerSecond, medianOrNull, medianSecondsTo, ratios, secondsTo } from './tta/summary';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    preset: { type: 'string', default: 'lesson_resnext11_8x4d' },
    recipe: { type: 'string', default: 'fast' },
    minutes: { type: 'string', default: '5' },
    seeds: { type: 'string', default: '1' },
    'first-seed': { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.05' },
    backend: { type: 'string', default: 'wasm' },
    port: { type: 'string', default: '4326' },
    'no-torch': { type: 'boolean', default: false },
    /** Tricks changed after choosing the recipe: key=value pairs of the settings schema. */
    set: { type: 'string', default: '' },
    /** Also write the JSON here (stdout has the build's log before it). */
    out: { type: 'string' },
  },
});

const USAGE = 'usage: npm run bench:tta -- --data <archive|dir> [--preset NAME] [--recipe fast|paper] [--minutes N] [--seeds K] [--batch N] [--lr X] [--no-torch] [--set key=value,...]';
if (!values.data || (values.recipe !== 'fast' && values.recipe !== 'paper')) {
  console.error(USAGE);
  process.exit(1);
}
const minutes = Number(values.minutes);
/** `--set`'s changes, each with the Train tab control it goes through. */
const changes = values
  .set!.split(',')
  .filter((pair) => pair.trim())
  .map((pair) => {
    const [key, value] = pair.split('=').map((x) => x.trim());
    const field = SETTING_FIELDS.find((f) => f.key === key);
    if (!field || value === undefined) {
      console.error(`--set ${pair}: not a key=value of the settings (${SETTING_FIELDS.map((f) => f.key).join(', ')})`);
      process.exit(1);
    }
    return { field, value };
  });
/** The recipe as the run trains it (the PyTorch peer's too): the app's recipe with `--set`'s changes. */
const recipeSettings = {
  ...RECIPES[values.recipe as keyof typeof RECIPES],
  ...Object.fromEntries(changes.map(({ field, value }) => [field.key, field.type === 'boolean' ? value === 'true' : field.type === 'number' ? Number(value) : value])),
};
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => Number(values['first-seed']) + i);
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const log = (s: string) => console.error(`[bench:tta] ${s}`);

/** The archive itself, or the .bin files of a folder (as `npm run train` takes them). */
function dataFiles(path: string): string[] {
  if (!existsSync(path)) throw new Error(`--data ${path} does not exist`);
  if (!statSync(path).isDirectory()) return [path];
  const dir = existsSync(join(path, 'cifar-10-batches-bin')) ? join(path, 'cifar-10-batches-bin') : path;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin') || f.endsWith('.txt'))
    .map((f) => join(dir, f));
}

/** The fields of a run record this bench reads (src/store/runs.ts RunRecord). */
interface StoredRun {
  createdAt: number;
  status: string;
  backend: string;
  totalSteps: number;
  settings: Record<string, unknown>;
  steps: { step: number; imagesPerSecond: number }[];
  heldOut?: (TimelinePoint & { step: number })[];
  evals: { step: number; accuracy: number }[];
  final?: { accuracy: number; loss: number };
  error?: string;
}

/** The newest run in the ledger's IndexedDB store. */
function latestRun(page: Page): Promise<StoredRun | undefined> {
  return page.evaluate(
    () =>
      new Promise<StoredRun | undefined>((resolve, reject) => {
        const open = indexedDB.open('resnext-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => resolve((all.result as StoredRun[]).sort((a, b) => b.createdAt - a.createdAt)[0]);
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const round = (x: number, digits = 1) => +x.toFixed(digits);

/** One seed through the page: settings, Train, wait for the run to end, read its record. */
async function trainSeed(page: Page, seed: number) {
  const settings = page.getByRole('region', { name: 'Training settings' });
  await settings.getByRole('combobox', { name: 'Recipe', exact: true }).selectOption(values.recipe!);
  if (changes.length) {
    const tricks = settings.locator('details.recipe-tricks');
    if (!(await tricks.evaluate((d) => (d as HTMLDetailsElement).open))) await tricks.locator('summary').click();
    for (const { field, value } of changes) {
      // A select inside its label takes the chosen option's text into its name ("Schedule triangular"): not exact there.
      const control = settings.getByLabel(field.label, { exact: field.type !== 'choice' });
      if (field.type === 'boolean') await control.setChecked(value === 'true');
      else if (field.type === 'choice') await control.selectOption(value);
      else {
        await control.fill(value);
        await control.press('Enter');
      }
    }
  }
  await settings.getByLabel('Batch size').fill(values.batch!);
  await settings.getByLabel('Seed').fill(String(seed));
  await settings.getByLabel('Learning rate', { exact: true }).fill(values.lr!);
  await settings.getByLabel('Time budget, minutes (0 = off)').fill(String(minutes));
  const clickedAt = Date.now();
  await settings.getByRole('button', { name: 'Train', exact: true }).click();
  let firstSeenAt: number | undefined;
  let run: StoredRun | undefined;
  // A run still going at twice its budget (plus 5 minutes of start-up and final evaluation) is
  // stopped by the bench (Stop evaluates on the whole test set) and reported as such.
  const deadline = clickedAt + (2 * minutes * 60 + 300) * 1000;
  let stoppedByBench = false;
  let lastLogged = 0;
  for (;;) {
    await page.waitForTimeout(1000);
    run = await latestRun(page);
    if (run && run.createdAt < clickedAt - 60_000) run = undefined; // an older run: this one has not started yet
    if (run?.heldOut?.length && firstSeenAt === undefined) firstSeenAt = Date.now();
    if (run && run.status !== 'running' && run.status !== 'paused') break;
    const alert = await settings
      .getByRole('alert')
      .textContent({ timeout: 100 })
      .catch(() => null);
    if (alert && !run) throw new Error(alert);
    if (Date.now() > deadline && !stoppedByBench) {
      stoppedByBench = true;
      log(`ours seed ${seed}: still training at twice the budget: Stop`);
      await settings.getByRole('button', { name: 'Stop', exact: true }).click();
    }
    if (Date.now() > deadline + 600_000) throw new Error(`seed ${seed}: the run did not end 10 minutes after Stop`);
    const last = run?.heldOut?.at(-1);
    if (last && last.seconds !== lastLogged) {
      lastLogged = last.seconds;
      log(`ours seed ${seed}: ${round(last.seconds)} s, ${last.images} images, held-out ${(100 * last.heldOutAccuracy).toFixed(1)}%`);
    }
  }
  const timeline = (run.heldOut ?? []).map((p) => ({ seconds: round(p.seconds, 2), images: p.images, heldOutAccuracy: p.heldOutAccuracy }));
  return {
    seed,
    status: run.status,
    ...(stoppedByBench ? { stoppedByBench } : {}),
    /** Training seconds past the budget at the last held-out evaluation (the job's clock). */
    budgetOverrunSeconds: timeline.length ? round(timeline.at(-1)!.seconds - minutes * 60) : null,
    ...(run.error ? { error: run.error } : {}),
    backend: run.backend,
    /** The tricks the run recorded (a check on --set). */
    tricks: Object.fromEntries(changes.map((c) => [c.field.key, (run!.settings as Record<string, unknown>)[c.field.key]])),
    steps: run.steps.at(-1)?.step ?? 0,
    totalSteps: run.totalSteps,
    medianImagesPerSecond: round(median(run.steps.map((s) => s.imagesPerSecond))),
    effectiveImagesPerSecond: effectiveImagesPerSecond(timeline),
    firstEvaluationSeconds: timeline[0]?.seconds ?? null,
    firstEvaluationSecondsAfterClick: firstSeenAt !== undefined ? round((firstSeenAt - clickedAt) / 1000) : null,
    secondsTo: secondsTo(timeline),
    finalTestAccuracy: run.final?.accuracy ?? null,
    timeline,
  };
}

/** PyTorch-CPU on the app's export of the preset (bench/tta/torch_tta.py), or why not. */
class TorchPeer {
  readonly skipped?: string;
  private readonly file?: string;
  version?: string;

  constructor() {
    if (values['no-torch'] || process.env.BENCH_TORCH === '0') {
      this.skipped = 'skipped (--no-torch / BENCH_TORCH=0)';
      return;
    }
    const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      this.skipped = `skipped: ${PYTHON} cannot import torch (Debian: apt-get install python3-torch)`;
      return;
    }
    this.version = probe.stdout.trim();
    const file = join(mkdtempSync(join(os.tmpdir(), 'bench-tta-')), `${values.preset}.py`);
    const exported = runExport([values.preset!, '--to', 'pytorch', '--out', file]);
    if (exported.code !== 0) {
      this.skipped = `skipped: the export failed: ${exported.stderr.trim()}`;
      return;
    }
    this.file = file;
  }

  run(seed: number, threads: number) {
    if (!this.file) return undefined;
    const args = ['bench/tta/torch_tta.py', '--module', this.file, '--data', values.data!, '--minutes', String(minutes), '--recipe-json', JSON.stringify(recipeSettings), '--seed', String(seed), '--threads', String(threads), '--batch', values.batch!, '--lr', values.lr!];
    log(`pytorch seed ${seed} on ${threads} thread(s)`);
    const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: (minutes * 60 + 600) * 1000, env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) return { seed, error: `exit ${r.status}${r.error ? `: ${r.error.message}` : ''}` };
    const out = JSON.parse(r.stdout) as { timeline: (TimelinePoint & { step: number })[]; finalTestAccuracy: number; imagesPerSecond: number; steps: number; threads: number; trainSeconds: number };
    const timeline = out.timeline.map((p) => ({ seconds: p.seconds, images: p.images, heldOutAccuracy: p.heldOutAccuracy }));
    return {
      seed,
      threads: out.threads,
      steps: out.steps,
      imagesPerSecond: out.imagesPerSecond,
      effectiveImagesPerSecond: effectiveImagesPerSecond(timeline),
      firstEvaluationSeconds: timeline[0]?.seconds ?? null,
      secondsTo: secondsTo(timeline),
      finalTestAccuracy: out.finalTestAccuracy,
      timeline,
    };
  }
}

const torch = new TorchPeer();
const loadBefore = os.loadavg();
const result = await withPreview(Number(values.port), async (browser, origin) => {
  const page = await browser.newPage();
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(`${origin}/?preset=${values.preset}&data=cifar10&view=train&backend=${values.backend}`);
  await page.getByLabel('Archive or .bin files').setInputFiles(dataFiles(values.data!));
  await page.getByTestId('data-status').filter({ hasText: 'Loaded' }).waitFor({ timeout: 300_000 });
  const threads = await page.evaluate(() => Math.min(navigator.hardwareConcurrency || 1, 8));
  const ours = [];
  const pytorch = [];
  for (const seed of seeds) {
    ours.push(await trainSeed(page, seed));
    const peer = torch.run(seed, threads);
    if (peer) pytorch.push(peer);
  }
  return { threads, ours, pytorch };
});

const oursMedian = medianSecondsTo(result.ours.map((r) => r.secondsTo));
const torchRuns = result.pytorch.filter((r): r is Extract<typeof r, { secondsTo: unknown }> => 'secondsTo' in r);
const torchMedian = torchRuns.length ? medianSecondsTo(torchRuns.map((r) => r.secondsTo)) : undefined;
const report = JSON.stringify(
  {
    command: `npm run bench:tta -- ${process.argv.slice(2).join(' ')}`,
    preset: values.preset,
    recipe: values.recipe,
    ...(changes.length ? { set: Object.fromEntries(changes.map((c) => [c.field.key, c.value])) } : {}),
    minutes,
    batch: Number(values.batch),
    lr: Number(values.lr),
    seeds,
    cpus: os.cpus().length,
    loadAverage: { before: loadBefore.map((l) => round(l, 2)), after: os.loadavg().map((l) => round(l, 2)) },
    ours: {
      backend: result.ours[0]?.backend,
      threads: result.threads,
      median: {
        firstEvaluationSeconds: medianOrNull(result.ours.map((r) => r.firstEvaluationSeconds)),
        secondsTo: oursMedian,
        finalTestAccuracy: medianOrNull(result.ours.map((r) => r.finalTestAccuracy), 4),
      },
      runs: result.ours,
    },
    pytorch: torch.skipped
      ? { skipped: torch.skipped }
      : {
          torch: torch.version,
          median: torchMedian && { secondsTo: torchMedian, finalTestAccuracy: medianOrNull(torchRuns.map((r) => r.finalTestAccuracy), 4) },
          runs: result.pytorch,
        },
    ...(torchMedian
      ? {
          vsPyTorch: {
            what: 'our median seconds to X% held-out / PyTorch-CPU median seconds to X% (same preset, recipe, batch, rate, threads, wall time)',
            ratio: ratios(oursMedian, torchMedian),
            atOurBest: result.ours.map((r) => {
              const peer = torchRuns.find((p) => p.seed === r.seed);
              return { seed: r.seed, ...(peer ? atOurBest(r.timeline, peer.timeline) : {}) };
            }),
          },
        }
      : {}),
  },
  null,
  2,
);
console.log(report);
if (values.out) writeFileSync(values.out, report + '\n');
