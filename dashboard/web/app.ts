import uPlot from 'uplot';

interface Row {
  key: string;
  windowStart: string;
  count: number;
  sum: number;
  min: number;
  max: number;
}

// Every poll is a few dozen Queries: cheap on the emulators, billed against a deployed table.
const POLL_MS = { local: 2_000, aws: 10_000 } as const;
const HISTORY_MINUTES = 15;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

async function get<T>(path: string): Promise<T> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as T;
}

const format = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

let windowSeconds = 60;
let selectedType = '';
let types: string[] = [];
/** windowStart (ms) → totals over all keys, for the selected type. */
let series = new Map<number, { count: number; sum: number }>();
let lastFetchedWindow = 0;

function chart(element: HTMLElement, label: string, color: string): uPlot {
  return new uPlot(
    {
      width: Math.max(320, element.clientWidth || 600),
      height: 240,
      series: [{}, { label, stroke: color, width: 2, fill: `${color}22`, points: { show: true, size: 4 } }],
      axes: [
        { stroke: '#94a3b8', grid: { stroke: '#1e293b' } },
        { stroke: '#94a3b8', grid: { stroke: '#1e293b' }, size: 60 },
      ],
      // A fixed time axis: the last minutes up to the open window, however few points there are yet.
      scales: {
        x: {
          time: true,
          range: () => {
            const width = windowSeconds * 1000;
            const end = Math.floor(Date.now() / width) * width + width;
            return [(end - HISTORY_MINUTES * 60_000) / 1000, end / 1000];
          },
        },
      },
    },
    [[], []],
    element,
  );
}

const countChart = chart($('counts'), 'events', '#38bdf8');
const sumChart = chart($('sums'), 'sum', '#a78bfa');

function redraw(): void {
  const windows = [...series.keys()].sort((a, b) => a - b);
  const xs = windows.map((w) => w / 1000);
  countChart.setData([xs, windows.map((w) => series.get(w)!.count)]);
  sumChart.setData([xs, windows.map((w) => series.get(w)!.sum)]);
  $('counts').dataset.points = String(windows.length);
  $('sums').dataset.points = String(windows.length);
}

async function refreshSeries(): Promise<void> {
  if (selectedType === '') return;
  const width = windowSeconds * 1000;
  const now = Date.now();
  const oldest = Math.floor((now - HISTORY_MINUTES * 60_000) / width) * width;
  // Re-read from the last window fetched: it was still open then.
  const from = Math.max(oldest, lastFetchedWindow);
  const to = Math.floor(now / width) * width + width;
  const type = selectedType;
  const { items } = await get<{ items: Row[] }>(
    `/api/aggregates?type=${encodeURIComponent(type)}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
  );
  if (type !== selectedType) return;
  for (const w of [...series.keys()]) if (w >= from || w < oldest) series.delete(w);
  for (const item of items) {
    const w = Date.parse(item.windowStart);
    const total = series.get(w) ?? { count: 0, sum: 0 };
    total.count += item.count;
    total.sum += item.sum;
    series.set(w, total);
    lastFetchedWindow = Math.max(lastFetchedWindow, w);
  }
  redraw();
}

async function refreshTop(): Promise<void> {
  if (selectedType === '') return;
  const { items } = await get<{ items: Omit<Row, 'windowStart'>[] }>(
    `/api/top?type=${encodeURIComponent(selectedType)}&minutes=5&by=count&limit=10`,
  );
  const body = $('top').querySelector('tbody')!;
  body.replaceChildren(
    ...items.map((row) => {
      const tr = document.createElement('tr');
      for (const value of [
        row.key,
        format.format(row.count),
        format.format(row.sum),
        format.format(row.min),
        format.format(row.max),
      ]) {
        const td = document.createElement('td');
        td.textContent = value;
        tr.append(td);
      }
      return tr;
    }),
  );
}

async function refreshThroughput(): Promise<void> {
  // The last closed window of every type: events in it over its length.
  const width = windowSeconds * 1000;
  const closed = Math.floor(Date.now() / width) * width - width;
  const from = new Date(closed).toISOString();
  const to = new Date(closed + width).toISOString();
  const counts = await Promise.all(
    types.map(async (t) => {
      const { items } = await get<{ items: Row[] }>(
        `/api/aggregates?type=${encodeURIComponent(t)}&from=${from}&to=${to}`,
      );
      return items.reduce((s, i) => s + i.count, 0);
    }),
  );
  $('throughput').textContent = format.format(counts.reduce((a, b) => a + b, 0) / windowSeconds);
}

async function refreshStats(): Promise<void> {
  const stats = await get<{
    poisonRecords: number | null;
    lagMs: { p50: number; p99: number } | null;
    failedBatches: number | null;
  }>('/api/stats');
  $('poison').textContent = stats.poisonRecords === null ? 'n/a' : format.format(stats.poisonRecords);
  $('failed').textContent = stats.failedBatches === null ? 'n/a' : format.format(stats.failedBatches);
  $('lag').textContent =
    stats.lagMs === null ? 'n/a' : `${format.format(stats.lagMs.p50)} / ${format.format(stats.lagMs.p99)} ms`;
}

async function refreshTypes(): Promise<void> {
  const { types: rows } = await get<{ types: { type: string }[] }>('/api/types');
  types = rows.map((r) => r.type).sort();
  const select = $<HTMLSelectElement>('type');
  const known = [...select.options].map((o) => o.value);
  if (known.join() !== types.join()) {
    select.replaceChildren(...types.map((t) => new Option(t, t)));
  }
  if (selectedType === '' && types.length > 0) selectType(types[0]);
  else select.value = selectedType;
}

function selectType(type: string): void {
  selectedType = type;
  $<HTMLSelectElement>('type').value = type;
  series = new Map();
  lastFetchedWindow = 0;
  redraw();
}

async function tick(): Promise<void> {
  try {
    await refreshTypes();
    await Promise.all([refreshSeries(), refreshTop(), refreshThroughput(), refreshStats()]);
    $('health').dataset.state = 'ok';
    $('health').textContent = 'live';
  } catch (error) {
    $('health').dataset.state = 'down';
    $('health').textContent = `unreachable: ${(error as Error).message}`;
  }
}

async function start(): Promise<void> {
  const health = await get<{ mode: 'local' | 'aws'; table: string; windowSeconds: number }>('/api/health');
  windowSeconds = health.windowSeconds;
  $('source').textContent = `${health.mode === 'local' ? 'local emulators' : 'AWS'} · table ${health.table}`;
  $('window').textContent = `${windowSeconds}-second windows, last ${HISTORY_MINUTES} minutes`;
  $<HTMLSelectElement>('type').addEventListener('change', (e) => {
    selectType((e.target as HTMLSelectElement).value);
    void tick();
  });
  await tick();
  setInterval(() => void tick(), POLL_MS[health.mode]);
}

void start().catch((error: unknown) => {
  $('health').dataset.state = 'down';
  $('health').textContent = `unreachable: ${(error as Error).message}`;
});
