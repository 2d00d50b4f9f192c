/**
 * `npm run bench:ui`: dial move -> updated totals and table, in Chromium, for a big model.
 * Sets the cardinality box (alternating two values) and measures, inside the page, the time from
 * the input event until React has committed the new totals (sync for a discrete event), and until
 * the next animation frame (the frame that paints it). Target: median < 16 ms for resnext101_64x4d.
 */
import { withPreview } from './preview';

const PORT = 4175;
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const PRESETS = (process.env.BENCH_PRESETS ?? 'resnext101_64x4d,efficientnet_b7,resnet50').split(',');

/** Runs in the page: set the dial, time the React commit and the next frame, alternate values. */
const IN_PAGE_MEASURE = `async function (label, runs) {
  var input = Array.from(document.querySelectorAll('label')).find(function (l) { return l.textContent === label; }).control;
  var total = document.querySelector('.totals');
  var setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  var start = Number(input.value);
  var commit = [], frame = [];
  for (var i = 0; i < runs; i++) {
    var before = total.textContent;
    var t0 = performance.now();
    setValue.call(input, String(i % 2 === 0 ? start * 2 : start));
    input.dispatchEvent(new Event('input', { bubbles: true }));
    var t1 = performance.now();
    await new Promise(function (r) { requestAnimationFrame(function () { r(null); }); });
    var t2 = performance.now();
    if (total.textContent === before) throw new Error('the totals did not change');
    commit.push(t1 - t0);
    frame.push(t2 - t0);
    await new Promise(function (r) { setTimeout(r, 30); });
  }
  function median(xs) { var s = xs.slice().sort(function (a, b) { return a - b; }); return s[Math.floor(s.length / 2)]; }
  return { commitMedianMs: median(commit), toNextFrameMedianMs: median(frame) };
}`;

async function main() {
  const results = await withPreview(PORT, async (browser, origin) => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const rows = [];
    for (const preset of PRESETS) {
      await page.goto(`${origin}/?preset=${preset}&view=layers`);
      await page.getByTestId('total-params').waitFor();
      const hasC = (await page.getByLabel('Cardinality C', { exact: true }).count()) > 0;
      const label = hasC ? 'Cardinality C' : 'Input resolution (px)';
      // Plain JS source: tsx's transform would add helpers the page does not have.
      const timings = (await page.evaluate(`(${IN_PAGE_MEASURE})(${JSON.stringify(label)}, ${RUNS})`)) as { commitMedianMs: number; toNextFrameMedianMs: number };
      rows.push({ preset, dial: label, runs: RUNS, commitMedianMs: +timings.commitMedianMs.toFixed(2), toNextFrameMedianMs: +timings.toNextFrameMedianMs.toFixed(2) });
    }
    return rows;
  });
  console.table(results);
  console.log('target: dial -> updated table median < 16 ms (commitMedianMs)');
}

await main();
