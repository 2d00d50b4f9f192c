import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

test('the diagram draws the block forms with the paper\'s annotations, updating with C and d', async ({ page }) => {
  await page.goto('/?preset=resnext50_32x4d&view=diagram');
  const forms = page.getByTestId('block-forms');
  await expect(forms.locator('svg')).toContainText('256, 1x1, 4');
  await expect(forms.locator('svg')).toContainText('total 32 paths');
  await expect(forms.locator('svg')).toContainText('128, 3x3, 128');
  await page.getByLabel('Cardinality C slider').fill('8');
  await page.getByLabel('Bottleneck width d', { exact: true }).fill('14');
  await page.getByLabel('Bottleneck width d', { exact: true }).press('Enter');
  await expect(forms.locator('svg')).toContainText('256, 1x1, 14');
  await expect(forms.locator('svg')).toContainText('total 8 paths');
  await expect(forms.locator('svg')).toContainText('112, 3x3, 112');
});

test('the network diagram expands a stage with the keyboard', async ({ page }) => {
  await page.goto('/?preset=iresnet50&view=diagram');
  const stage = page.getByTestId('network-diagram').getByRole('button', { name: /conv3/ });
  await stage.focus();
  await page.keyboard.press('Enter');
  await expect(stage).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByTestId('network-diagram')).toContainText('start');
});

test('exports: layer table as CSV and Markdown, diagram as SVG and PNG', async ({ page }) => {
  await page.goto('/?preset=resnet50');
  const csv = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]).then(([d]) => d);
  expect(csv.suggestedFilename()).toBe('resnet50-layers.csv');
  const csvText = readFileSync((await csv.path())!, 'utf8');
  expect(csvText.split('\n')[0]).toBe('name,level,type,output,kernel,stride,groups,params,macs,activations');
  expect(csvText).toContain('layer1.0.conv2,op,conv,64x56x56,3,1,1,36864,115605504,200704');

  const md = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Markdown' }).click()]).then(([d]) => d);
  expect(readFileSync((await md.path())!, 'utf8')).toContain('| fc | op | linear | 1000x1x1 |');

  await page.getByRole('tab', { name: 'Diagram' }).click();
  const forms = page.getByTestId('block-forms');
  const svg = await Promise.all([page.waitForEvent('download'), forms.getByRole('button', { name: 'Export SVG' }).click()]).then(([d]) => d);
  const svgText = readFileSync((await svg.path())!, 'utf8');
  expect(svgText).toMatch(/^(<\?xml[^>]*>\s*)?<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svgText).toContain('64, 3x3, 64');
  const png = await Promise.all([page.waitForEvent('download'), forms.getByRole('button', { name: 'Export PNG' }).click()]).then(([d]) => d);
  const bytes = readFileSync((await png.path())!);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.length).toBeGreaterThan(5000);
});

test('charts render with data-table alternatives', async ({ page }) => {
  await page.goto('/?preset=resnext50_32x4d&view=charts');
  const stages = page.getByTestId('chart-stages');
  await expect(stages.getByRole('img')).toBeVisible();
  await stages.getByText('Show data as a table').click();
  await expect(stages.getByRole('row', { name: /conv4/ })).toContainText('1,525,350,400');
  const phi = page.getByTestId('chart-phi');
  await phi.getByText('Show data as a table').click();
  await expect(phi.getByRole('table')).toContainText('actual (rounded model)');
  await expect(page.getByTestId('chart-params-vs-c').getByRole('img')).toBeVisible();
  await expect(page.getByTestId('chart-accuracy').getByRole('img')).toBeVisible();
  // The FLOPs toggle doubles the compute figures.
  await page.getByRole('radio', { name: 'FLOPs = 2 × MACs' }).check();
  await expect(stages.getByRole('row', { name: /conv4/ })).toContainText('3,050,700,800');
  await expect(page.getByTestId('total-flops')).toHaveText('8,460,959,744');
});

test('export buttons download the design as PyTorch and Keras code', async ({ page }) => {
  await page.goto('/?preset=resnext50_32x4d');
  const menu = page.getByRole('group', { name: 'Export the design' });
  const torch = await Promise.all([page.waitForEvent('download'), menu.getByRole('button', { name: 'PyTorch (.py)' }).click()]).then(([d]) => d);
  expect(torch.suggestedFilename()).toBe('resnext50_32x4d.py');
  const code = readFileSync((await torch.path())!, 'utf8');
  expect(code).toContain('groups=');
  expect(code).toContain('25028904');
  const train = await Promise.all([page.waitForEvent('download'), menu.getByRole('button', { name: 'PyTorch + training script' }).click()]).then(([d]) => d);
  expect(readFileSync((await train.path())!, 'utf8')).toContain('torchrun');
  const keras = await Promise.all([page.waitForEvent('download'), menu.getByRole('button', { name: 'Keras 3 (.py)' }).click()]).then(([d]) => d);
  expect(readFileSync((await keras.path())!, 'utf8')).toContain('keras.Model');
});

test('diagram text keeps one size at any C: drawn 1:1, laid out for the width', async ({ page }) => {
  const sizes: number[] = [];
  for (const c of [1, 32, 64]) {
    await page.goto(`/?preset=resnext50_32x4d&C=${c}&view=diagram`);
    for (const id of ['block-forms', 'network-diagram']) {
      const svg = page.getByTestId(id).locator('svg.diagram');
      await expect(svg).toBeVisible();
      const { scale, font, overflow } = await svg.evaluate((el) => {
        const s = el as SVGSVGElement;
        const label = s.querySelector('.d-label')!;
        return {
          scale: s.getBoundingClientRect().width / s.viewBox.baseVal.width,
          font: parseFloat(getComputedStyle(label).fontSize),
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        };
      });
      expect(scale, `${id} at C=${c}`).toBeCloseTo(1, 3);
      expect(overflow, `no sideways page scroll at C=${c}`).toBeLessThanOrEqual(0);
      sizes.push(font * scale);
    }
  }
  expect(new Set(sizes.map((s) => Math.round(s)))).toEqual(new Set([15]));
});

test('MBConv and ResStage blocks from the inside; a box or a block opens its layers in the table', async ({ page }) => {
  await page.goto('/?preset=efficientnet_b0&view=diagram');
  const inside = page.getByTestId('block-inside');
  for (const word of ['expand, BN, SiLU', 'depthwise, stride 2', 'squeeze-excitation', 'global avg pool', 'project, BN']) await expect(inside.locator('svg')).toContainText(word);
  await inside.getByRole('button', { name: /96, 3x3, 96, depthwise/ }).click();
  await expect(page.getByRole('tab', { name: 'Layers' })).toHaveAttribute('aria-selected', 'true');
  const row = page.locator('[id="layer-features.2.0.block.1.0"]');
  await expect(row).toBeVisible();
  await expect(row).toHaveClass(/focused/);
  await expect(page.locator('tr.focused')).toHaveCount(3);

  await page.goto('/?preset=iresnet50&view=diagram');
  const resstage = page.getByTestId('block-inside');
  for (const word of ['start block (layer1.0)', 'middle block (layer1.1)', 'end block (layer1.2)', '3x3 max pool']) await expect(resstage.locator('svg')).toContainText(word);
  const network = page.getByTestId('network-diagram');
  await network.getByRole('button', { name: /conv3/ }).click();
  await network.getByRole('button', { name: 'Show layer2.0 in the layer table' }).click();
  await expect(page.getByRole('tab', { name: 'Layers' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('[id="layer-layer2.0"]')).toHaveClass(/focused/);
  await expect(page.locator('[id="layer-layer2.0.conv2"]')).toBeVisible();
});

test('params vs C: the axis starts at zero and the off-budget point says why it stands out', async ({ page }) => {
  await page.goto('/?preset=resnext50_32x4d&view=charts');
  const chart = page.getByTestId('chart-params-vs-c');
  await expect(chart.getByRole('img')).toContainText('16x8d: block +6.6%');
  await expect(chart.locator('.tick text').filter({ hasText: /^0$/ })).toHaveCount(1);
  await expect(page.getByTestId('chart-accuracy').getByRole('img')).toContainText('32x4d');
});
