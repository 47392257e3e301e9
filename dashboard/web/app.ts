import uPlot from 'uplot';

// The shapes of the v2 API (design.md, "Declared aggregates contract (v2)").
type Mode = 'local' | 'aws';
type Op = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'distinct' | 'quantiles' | 'topK';

interface MeasureDef {
  readonly op: Op;
  readonly of?: string;
  readonly k?: number;
  readonly relativeAccuracy?: number;
}

interface Definition {
  readonly name: string;
  readonly types: readonly string[];
  readonly groupBy: readonly string[];
  readonly windows: readonly string[];
  readonly allowedLateness?: string;
  readonly measures: Readonly<Record<string, MeasureDef>>;
}

type GroupValues = Readonly<Record<string, string | null>>;
type Quantiles = Readonly<Record<string, number | null>>;
interface TopEntry {
  readonly value: string;
  readonly count: number;
}
type MeasureValue = number | null | Quantiles | readonly TopEntry[];

interface Item {
  readonly group: GroupValues;
  readonly windowStart: string;
  readonly measures: Readonly<Record<string, MeasureValue | undefined>>;
}

// Every poll is a few Queries: cheap on the emulators, billed against a deployed table.
const POLL_MS: Record<Mode, number> = { local: 2_000, aws: 10_000 };
/** Past windows are re-read this often in full, so late events (allowedLateness) show up. */
const FULL_REREAD_MS = 60_000;
/** Groups drawn as their own lines where a measure does not add up across groups. */
const BUSIEST_GROUPS = 5;
/** Groups listed in the group picker, busiest first. */
const MAX_LISTED_GROUPS = 200;
const PALETTE = ['#38bdf8', '#a78bfa', '#f472b6', '#34d399', '#fbbf24'];
const QUANTILE_BAND = ['p50', 'p95', 'p99'] as const;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

async function get<T>(path: string): Promise<T> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path.split('?')[0]}: ${response.status}`);
  return (await response.json()) as T;
}

const format = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
/** Axis labels fit the axis's 64 px: `12.5M`, not `12,500,000` cut to `500,000`. */
const axisFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const formatValue = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : format.format(v));

/** `1m` → 60 000; the declarations' window sizes are `Ns`, `Nm`, `Nh` or `1d`. */
function windowMs(window: string): number {
  const match = /^(\d+)([smhd])$/.exec(window);
  if (match === null) return 60_000;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** How far back the charts reach: 15 minutes of small windows, a day of hourly ones, at most a week. */
function historyMs(width: number): number {
  if (width <= 60_000) return 15 * 60_000;
  return Math.min(7 * 86_400_000, Math.max(15 * 60_000, 24 * width));
}

function describeSpan(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day${ms === 86_400_000 ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`;
  return `${ms / 60_000} minutes`;
}

const utcTime = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
/** Axis and legend times, UTC like the windows: `09:44`, or `11-23 09:00` on axes longer than a day. */
const timeLabel = (ms: number, span: number): string =>
  span > 86_400_000 ? new Date(ms).toISOString().slice(5, 16).replace('T', ' ') : utcTime(ms);

const state = {
  mode: 'local' as Mode,
  definitions: [] as Definition[],
  def: undefined as Definition | undefined,
  window: '',
  width: 60_000,
  /** '' = all groups; else a group's id (see groupId). */
  group: '',
  /** windowStart (ms) → group id → item, for the selected declaration and window. */
  cache: new Map<number, Map<string, Item>>(),
  /** The window that was open at the last read: reads start one window before it. */
  openAtLastRead: 0,
  lastFullRead: 0,
  /** Bumped on every change of selection, so that answers to an older one are dropped. */
  generation: 0,
};

function groupId(def: Definition, group: GroupValues): string {
  return JSON.stringify(def.groupBy.map((f) => group[f] ?? null));
}

function groupLabel(def: Definition, id: string): string {
  if (def.groupBy.length === 0) return 'total';
  return (JSON.parse(id) as (string | null)[]).map((v) => (v === null ? '(none)' : v)).join(' · ');
}

// ---------------------------------------------------------------------------------------------
// Reading

async function readAggregates(): Promise<void> {
  const def = state.def;
  if (def === undefined) return;
  const generation = state.generation;
  const width = state.width;
  const now = Date.now();
  const open = Math.floor(now / width) * width;
  const oldest = Math.floor((now - historyMs(width)) / width) * width;
  const full = state.openAtLastRead === 0 || now - state.lastFullRead >= FULL_REREAD_MS;
  // The window open at the last read, and the one before it (records still in flight when it
  // closed), may have changed since; older ones only through late events, caught by the full re-read.
  const from = full ? oldest : Math.max(oldest, state.openAtLastRead - width);
  const to = open + width;
  const query = new URLSearchParams({
    aggregate: def.name,
    window: state.window,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  });
  const { items } = await get<{ items: Item[] }>(`/api/aggregates?${query.toString()}`);
  if (generation !== state.generation) return;
  for (const w of [...state.cache.keys()]) if (w >= from || w < oldest) state.cache.delete(w);
  for (const item of items) {
    const w = Date.parse(item.windowStart);
    let groups = state.cache.get(w);
    if (groups === undefined) state.cache.set(w, (groups = new Map<string, Item>()));
    groups.set(groupId(def, item.group), item);
  }
  state.openAtLastRead = open;
  if (full) state.lastFullRead = now;
}

/** The measure that says how busy a group is: the first count, else the first sum. */
function rankingMeasure(def: Definition): string | undefined {
  const entries = Object.entries(def.measures);
  return (entries.find(([, m]) => m.op === 'count') ?? entries.find(([, m]) => m.op === 'sum'))?.[0];
}

/** Every group seen in the range, busiest first (ties and declarations with no count: by label). */
function rankedGroups(def: Definition): string[] {
  const measure = rankingMeasure(def);
  const totals = new Map<string, number>();
  for (const groups of state.cache.values()) {
    for (const [id, item] of groups) {
      const v = measure === undefined ? 0 : item.measures[measure];
      totals.set(id, (totals.get(id) ?? 0) + (typeof v === 'number' ? v : 0));
    }
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id]) => id);
}

// ---------------------------------------------------------------------------------------------
// Charts

interface Series {
  readonly label: string;
  readonly color: string;
  readonly width?: number;
  readonly fill?: boolean;
  readonly values: (number | null)[];
}

interface ChartData {
  readonly xs: number[];
  readonly series: Series[];
  /** Fill between the first and last series (quantiles: p50 to p99). */
  readonly band: boolean;
  /** Counts, sums, distinct counts, latencies: a y axis from 0 reads true. */
  readonly fromZero: boolean;
}

const plots = new Map<HTMLElement, { plot: uPlot; signature: string }>();

function plotWidth(element: HTMLElement): number {
  return Math.max(280, element.clientWidth || 560);
}

function makePlot(element: HTMLElement, data: ChartData): uPlot {
  const width = state.width;
  const span = historyMs(width);
  const seriesCount = data.series.length;
  return new uPlot(
    {
      width: plotWidth(element),
      height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      series: [
        {
          label: 'window (UTC)',
          value: (_: uPlot, v: number | null) => (v === null ? '–' : timeLabel(v * 1000, span)),
        },
        ...data.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 2,
          fill: s.fill === true ? `${s.color}22` : undefined,
          points: { show: true, size: 4 },
          value: (_: uPlot, v: number | null) => formatValue(v),
        })),
      ],
      bands: data.band ? [{ series: [seriesCount, 1], fill: 'rgba(56, 189, 248, 0.16)' }] : [],
      axes: [
        {
          stroke: '#94a3b8',
          grid: { stroke: '#1e293b' },
          ticks: { stroke: '#1e293b' },
          values: (_, splits) => splits.map((v) => timeLabel(v * 1000, span)),
        },
        {
          stroke: '#94a3b8',
          grid: { stroke: '#1e293b' },
          ticks: { stroke: '#1e293b' },
          size: 64,
          values: (_, splits) => splits.map((v) => axisFormat.format(v)),
        },
      ],
      // A fixed time axis: the history up to the open window, however few points there are yet.
      scales: {
        x: {
          time: true,
          range: () => {
            const end = Math.floor(Date.now() / width) * width + width;
            return [(end - span) / 1000, end / 1000];
          },
        },
        ...(data.fromZero
          ? {
              y: {
                range: (_: uPlot, min: number, max: number): uPlot.Range.MinMax =>
                  uPlot.rangeNum(
                    Math.min(0, Number.isFinite(min) ? min : 0),
                    Math.max(1, Number.isFinite(max) ? max : 0),
                    0.1,
                    true,
                  ),
              },
            }
          : {}),
      },
      legend: { live: true },
    },
    [[]],
    element,
  );
}

function drawChart(panel: HTMLElement, data: ChartData): void {
  const element = panel.querySelector<HTMLElement>('.chart')!;
  const signature = JSON.stringify([state.width, data.band, data.fromZero, data.series.map((s) => [s.label, s.color])]);
  let entry = plots.get(element);
  if (entry === undefined || entry.signature !== signature) {
    entry?.plot.destroy();
    entry = { plot: makePlot(element, data), signature };
    plots.set(element, entry);
  }
  entry.plot.setData([data.xs, ...data.series.map((s) => s.values)] as uPlot.AlignedData);
  const drawn = data.xs.filter((_, i) => data.series.some((s) => s.values[i] !== null)).length;
  panel.dataset.points = String(drawn);
  if (data.band) panel.dataset.band = `${QUANTILE_BAND[0]}-${QUANTILE_BAND[QUANTILE_BAND.length - 1]}`;
  else delete panel.dataset.band;
  panel.querySelector('.empty')!.toggleAttribute('hidden', drawn > 0);
  element.setAttribute(
    'aria-label',
    `${panel.dataset.measure}: ${data.series.map((s) => s.label).join(', ')}, ${drawn} windows with data`,
  );
}

const resizer = new ResizeObserver(() => {
  for (const [element, { plot }] of plots) {
    const width = plotWidth(element);
    if (width !== plot.width) plot.setSize({ width, height: plot.height });
  }
});

// ---------------------------------------------------------------------------------------------
// Measures → what to draw

const num = (v: MeasureValue | undefined): number | null => (typeof v === 'number' ? v : null);

/** What an absent group means for a measure in a window where other groups had events. */
function absentValue(op: Op): number | null {
  return op === 'count' || op === 'sum' || op === 'distinct' ? 0 : null;
}

const zeroBased = (op: Op): boolean => op === 'count' || op === 'sum' || op === 'distinct';

function windowsWithData(): number[] {
  return [...state.cache.keys()].sort((a, b) => a - b);
}

function lineOfGroup(name: string, op: Op, id: string, xs: number[]): (number | null)[] {
  return xs.map((w) => {
    const item = state.cache.get(w)!.get(id);
    return item === undefined ? absentValue(op) : num(item.measures[name]);
  });
}

/** Lines for count, sum, min, max, avg and distinct, and a caption saying whose they are. */
function lineData(def: Definition, name: string, op: Op, ranked: string[]): { data: ChartData; scope: string } {
  const windows = windowsWithData();
  const xs = windows.map((w) => w / 1000);
  const single = def.groupBy.length === 0 ? groupId(def, {}) : state.group;
  if (single !== '') {
    const scope = def.groupBy.length === 0 ? 'one total per window' : `group ${groupLabel(def, single)}`;
    return {
      data: {
        xs,
        band: false,
        fromZero: zeroBased(op),
        series: [{ label: name, color: PALETTE[0], fill: true, values: lineOfGroup(name, op, single, windows) }],
      },
      scope,
    };
  }
  if (op === 'count' || op === 'sum' || op === 'min' || op === 'max') {
    // These combine exactly across groups.
    const values = windows.map((w) => {
      const all = [...state.cache.get(w)!.values()].map((item) => num(item.measures[name])).filter((v) => v !== null);
      if (all.length === 0) return absentValue(op);
      if (op === 'min') return Math.min(...all);
      if (op === 'max') return Math.max(...all);
      return all.reduce((a, b) => a + b, 0);
    });
    const how = {
      count: `all ${ranked.length} groups added up`,
      sum: `all ${ranked.length} groups added up`,
      min: `lowest over all ${ranked.length} groups`,
      max: `highest over all ${ranked.length} groups`,
    }[op];
    return {
      data: {
        xs,
        band: false,
        fromZero: zeroBased(op),
        series: [{ label: `${name}, all groups`, color: PALETTE[0], fill: true, values }],
      },
      scope: how,
    };
  }
  // avg and distinct do not add up across groups: one line for each of the busiest groups.
  const busiest = ranked.slice(0, BUSIEST_GROUPS);
  return {
    data: {
      xs,
      band: false,
      fromZero: zeroBased(op),
      series: busiest.map((id, i) => ({
        label: groupLabel(def, id),
        color: PALETTE[i % PALETTE.length],
        values: lineOfGroup(name, op, id, windows),
      })),
    },
    scope: `${busiest.length} busiest groups (${op === 'avg' ? 'averages' : 'distinct counts'} do not add up across groups)`,
  };
}

/** p50–p99 band with p95 as a line, for the selected group or, for all groups, the busiest one. */
function quantileData(def: Definition, name: string, ranked: string[]): { data: ChartData; scope: string } {
  const windows = windowsWithData();
  const id = state.group !== '' ? state.group : (ranked[0] ?? '');
  const per = (key: string): (number | null)[] =>
    windows.map((w) => {
      const v = state.cache.get(w)!.get(id)?.measures[name];
      if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return null;
      return (v as Quantiles)[key] ?? null;
    });
  const scope =
    def.groupBy.length === 0
      ? 'one total per window'
      : state.group !== ''
        ? `group ${groupLabel(def, id)}`
        : id === ''
          ? 'no group yet'
          : `busiest group, ${groupLabel(def, id)} (quantiles do not merge across groups: pick one above)`;
  return {
    data: {
      xs: windows.map((w) => w / 1000),
      band: true,
      fromZero: true,
      series: [
        { label: 'p50', color: '#38bdf8', width: 1, values: per('p50') },
        { label: 'p95', color: '#fbbf24', width: 2, values: per('p95') },
        { label: 'p99', color: '#f472b6', width: 1, values: per('p99') },
      ],
    },
    scope,
  };
}

/**
 * Top-K of the latest window that has data (the open one while it fills). For all groups the
 * groups' lists are merged by adding counts: approximate, as each list holds only its group's top k.
 */
function topKData(
  def: Definition,
  name: string,
  k: number,
  ranked: string[],
): { rows: TopEntry[]; windowStart: number | undefined; scope: string } {
  const wanted = state.group;
  const windows = windowsWithData().reverse();
  for (const w of windows) {
    const lists: (readonly TopEntry[])[] = [];
    for (const [id, item] of state.cache.get(w)!) {
      if (wanted !== '' && id !== wanted) continue;
      const v = item.measures[name];
      if (Array.isArray(v) && v.length > 0) lists.push(v as readonly TopEntry[]);
    }
    if (lists.length === 0) continue;
    if (lists.length === 1) return { rows: [...lists[0]], windowStart: w, scope: scopeOf(def, wanted) };
    const merged = new Map<string, number>();
    for (const list of lists) for (const e of list) merged.set(e.value, (merged.get(e.value) ?? 0) + e.count);
    const rows = [...merged.entries()]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, k);
    return { rows, windowStart: w, scope: `all ${ranked.length} groups merged (counts added, approximate)` };
  }
  return { rows: [], windowStart: undefined, scope: scopeOf(def, wanted) };
}

function scopeOf(def: Definition, id: string): string {
  if (def.groupBy.length === 0) return 'one total per window';
  return id === '' ? 'all groups' : `group ${groupLabel(def, id)}`;
}

// ---------------------------------------------------------------------------------------------
// Panels

function describeMeasure(m: MeasureDef): string {
  const of = m.of === undefined ? '' : ` of ${m.of}`;
  if (m.op === 'topK') return `top ${m.k ?? 10}${of}`;
  if (m.op === 'quantiles') return `quantiles${of} · p50–p99 band, p95 line`;
  if (m.op === 'distinct') return `distinct${of} (approximate)`;
  return `${m.op}${of}`;
}

function buildPanels(def: Definition): void {
  for (const { plot } of plots.values()) plot.destroy();
  plots.clear();
  resizer.disconnect();
  const container = $('panels');
  container.replaceChildren(
    ...Object.entries(def.measures).map(([name, m]) => {
      const panel = document.createElement('figure');
      panel.className = `panel op-${m.op}`;
      panel.id = `measure-${name}`;
      panel.dataset.measure = name;
      panel.dataset.op = m.op;
      panel.dataset.points = '0';
      const caption = document.createElement('figcaption');
      const title = document.createElement('span');
      title.className = 'name';
      title.textContent = name;
      const op = document.createElement('span');
      op.className = 'op';
      op.textContent = describeMeasure(m);
      const scope = document.createElement('span');
      scope.className = 'scope';
      caption.append(title, op, scope);
      panel.append(caption);
      const empty = document.createElement('p');
      empty.className = 'empty';
      empty.textContent = `No data in the last ${describeSpan(historyMs(state.width))} yet.`;
      if (m.op === 'topK') {
        const table = document.createElement('table');
        table.id = `topk-${name}`;
        table.className = 'topk';
        const head = document.createElement('thead');
        const tr = document.createElement('tr');
        for (const [text, cls] of [
          ['#', 'rank'],
          [m.of ?? 'value', 'value'],
          ['count', 'count'],
        ]) {
          const th = document.createElement('th');
          th.scope = 'col';
          th.className = cls;
          th.textContent = text;
          tr.append(th);
        }
        head.append(tr);
        table.append(head, document.createElement('tbody'));
        panel.append(table, empty);
      } else {
        const chart = document.createElement('div');
        chart.className = 'chart';
        chart.setAttribute('role', 'img');
        chart.setAttribute('aria-label', `${name}: no data yet`);
        panel.append(chart, empty);
        resizer.observe(chart);
      }
      return panel;
    }),
  );
}

function renderTopK(panel: HTMLElement, data: ReturnType<typeof topKData>): void {
  const table = panel.querySelector('table')!;
  const body = table.querySelector('tbody')!;
  body.replaceChildren(
    ...data.rows.map((row, i) => {
      const tr = document.createElement('tr');
      for (const [text, cls] of [
        [String(i + 1), 'rank'],
        [row.value, 'value'],
        [format.format(row.count), 'count'],
      ]) {
        const td = document.createElement('td');
        td.className = cls;
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
  panel.dataset.points = String(data.rows.length);
  panel.querySelector('.empty')!.toggleAttribute('hidden', data.rows.length > 0);
  const scope = panel.querySelector('.scope')!;
  if (data.windowStart === undefined) {
    delete table.dataset.windowStart;
    scope.textContent = data.scope;
    return;
  }
  const start = data.windowStart;
  const end = start + state.width;
  table.dataset.group = state.group;
  table.dataset.windowStart = new Date(start).toISOString();
  table.dataset.windowEnd = new Date(end).toISOString();
  const open = end > Date.now();
  scope.textContent = `window ${utcTime(start)}–${utcTime(end)} UTC${open ? ' (open, still filling)' : ''} · ${data.scope}`;
}

function render(): void {
  const def = state.def;
  if (def === undefined) return;
  const ranked = rankedGroups(def);
  refreshGroupPicker(def, ranked);
  for (const [name, m] of Object.entries(def.measures)) {
    const panel = document.getElementById(`measure-${name}`);
    if (panel === null) continue;
    if (m.op === 'topK') {
      renderTopK(panel, topKData(def, name, m.k ?? 10, ranked));
      continue;
    }
    const { data, scope } = m.op === 'quantiles' ? quantileData(def, name, ranked) : lineData(def, name, m.op, ranked);
    panel.querySelector('.scope')!.textContent = scope;
    drawChart(panel, data);
  }
}

// ---------------------------------------------------------------------------------------------
// Selection

function refreshGroupPicker(def: Definition, ranked: string[]): void {
  const select = $<HTMLSelectElement>('group');
  if (def.groupBy.length === 0) {
    select.disabled = true;
    if (select.options.length !== 1 || select.options[0].text !== 'one total per window') {
      select.replaceChildren(new Option('one total per window', ''));
    }
    return;
  }
  select.disabled = false;
  const listed = ranked.slice(0, MAX_LISTED_GROUPS);
  if (state.group !== '' && !listed.includes(state.group)) listed.push(state.group);
  // Rebuilt only when the set of groups changes, so an open picker does not reshuffle under the pointer.
  const known = [...select.options].slice(1).map((o) => o.value);
  const allLabel = `All groups (${ranked.length})`;
  if ([...known].sort().join('\n') !== [...listed].sort().join('\n')) {
    select.replaceChildren(new Option(allLabel, ''), ...listed.map((id) => new Option(groupLabel(def, id), id)));
  } else if (select.options[0].text !== allLabel) {
    select.options[0].text = allLabel;
  }
  select.value = state.group;
}

function saveSelection(): void {
  const hash = new URLSearchParams({ aggregate: state.def?.name ?? '', window: state.window });
  if (state.group !== '') hash.set('group', state.group);
  history.replaceState(null, '', `#${hash.toString()}`);
}

function resetData(): void {
  state.generation++;
  state.cache = new Map<number, Map<string, Item>>();
  state.openAtLastRead = 0;
  state.lastFullRead = 0;
}

function selectAggregate(name: string, window?: string, group = ''): void {
  const def = state.definitions.find((d) => d.name === name) ?? state.definitions[0];
  if (def === undefined) return;
  state.def = def;
  $<HTMLSelectElement>('aggregate').value = def.name;
  const windows = $<HTMLSelectElement>('window');
  windows.replaceChildren(...def.windows.map((w) => new Option(w, w)));
  selectWindow(window !== undefined && def.windows.includes(window) ? window : def.windows[0], group);
}

function selectWindow(window: string, group = ''): void {
  const def = state.def!;
  state.window = window;
  state.width = windowMs(window);
  state.group = group;
  $<HTMLSelectElement>('window').value = window;
  $<HTMLSelectElement>('group').replaceChildren(new Option('All groups', ''));
  $('group-fields').textContent = def.groupBy.length === 0 ? '' : `(${def.groupBy.join(', ')})`;
  $('declaration').textContent = [
    `types ${def.types.join(', ')}`,
    def.groupBy.length === 0 ? 'no grouping' : `grouped by ${def.groupBy.join(', ')}`,
    `${window} tumbling windows`,
    ...(def.allowedLateness === undefined ? [] : [`late events counted up to ${def.allowedLateness}`]),
  ].join(' · ');
  $('range').textContent = `Last ${describeSpan(historyMs(state.width))}, UTC`;
  resetData();
  buildPanels(def);
  saveSelection();
}

function selectGroup(id: string): void {
  // Every group is read anyway (the picker lists them): no new read, just another drawing.
  state.group = id;
  saveSelection();
  render();
}

// ---------------------------------------------------------------------------------------------
// Header figures

/** A declaration over every type with a count: the fewest groups is the cheapest read. */
function throughputSource(): { def: Definition; measure: string } | undefined {
  const candidates = state.definitions
    .filter((d) => d.types.includes('*'))
    .map((d) => ({ def: d, measure: Object.entries(d.measures).find(([, m]) => m.op === 'count')?.[0] }))
    .filter((c): c is { def: Definition; measure: string } => c.measure !== undefined)
    .sort((a, b) => a.def.groupBy.length - b.def.groupBy.length);
  return candidates[0];
}

async function refreshThroughput(): Promise<void> {
  const source = throughputSource();
  if (source === undefined) {
    $('throughput').textContent = 'n/a';
    return;
  }
  // The last closed window: events in it over its length.
  const window = source.def.windows[0];
  const width = windowMs(window);
  const closed = Math.floor(Date.now() / width) * width - width;
  const query = new URLSearchParams({
    aggregate: source.def.name,
    window,
    from: new Date(closed).toISOString(),
    to: new Date(closed + width).toISOString(),
  });
  const { items } = await get<{ items: Item[] }>(`/api/aggregates?${query.toString()}`);
  const events = items.reduce((s, i) => s + (num(i.measures[source.measure]) ?? 0), 0);
  $('throughput').textContent = format.format(events / (width / 1000));
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

// Local mode's injected DynamoDB write failures.

function showFaultRate(rate: number): void {
  $('fault-current').textContent = `now ${format.format(rate * 100)} %`;
  $('faults').dataset.rate = String(rate);
}

async function refreshFaults(): Promise<void> {
  const { dynamodbWriteFailRate } = await get<{ dynamodbWriteFailRate: number }>('/api/local/faults');
  showFaultRate(dynamodbWriteFailRate);
  const input = $<HTMLInputElement>('fault-rate');
  // Seed the input once; after that it holds what the person is typing.
  if (input.dataset.seeded === undefined) {
    input.value = String(dynamodbWriteFailRate);
    input.dataset.seeded = 'true';
  }
}

async function applyFaultRate(): Promise<void> {
  const input = $<HTMLInputElement>('fault-rate');
  const status = $('fault-status');
  const rate = Number(input.value);
  if (input.value === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    status.textContent = 'a share from 0 to 1';
    return;
  }
  status.textContent = 'applying…';
  try {
    const response = await fetch('/api/local/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dynamodbWriteFailRate: rate }),
    });
    const body = (await response.json().catch(() => ({}))) as { dynamodbWriteFailRate?: number; error?: string };
    if (!response.ok) throw new Error(body.error ?? `${response.status}`);
    showFaultRate(body.dynamodbWriteFailRate ?? rate);
    status.textContent = 'applied';
  } catch (error) {
    status.textContent = `failed: ${(error as Error).message}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Polling

function setHealth(ok: boolean, text: string): void {
  $('health').dataset.state = ok ? 'ok' : 'down';
  $('health').textContent = text;
}

let busy = false;

async function tick(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    await Promise.all([
      readAggregates().then(render),
      refreshThroughput(),
      refreshStats(),
      state.mode === 'local' ? refreshFaults() : undefined,
    ]);
    setHealth(true, 'live');
  } catch (error) {
    setHealth(false, `unreachable: ${(error as Error).message}`);
  } finally {
    busy = false;
  }
}

/** A change of selection: read at once, even while an older read is under way. */
async function readNow(): Promise<void> {
  try {
    await readAggregates();
    render();
  } catch (error) {
    setHealth(false, `unreachable: ${(error as Error).message}`);
  }
}

async function start(): Promise<void> {
  const health = await get<{ mode: Mode; table: string }>('/api/health');
  state.mode = health.mode === 'aws' ? 'aws' : 'local';
  $('source').textContent = `${state.mode === 'local' ? 'local emulators' : 'AWS'} · table ${health.table}`;
  $('faults').hidden = state.mode !== 'local';

  const { aggregates } = await get<{ aggregates: Definition[] }>('/api/definitions');
  state.definitions = aggregates;
  $<HTMLSelectElement>('aggregate').replaceChildren(...aggregates.map((d) => new Option(d.name, d.name)));
  const saved = new URLSearchParams(location.hash.slice(1));
  const initial = saved.get('aggregate') ?? (aggregates.some((d) => d.name === 'by_type') ? 'by_type' : '');
  selectAggregate(initial, saved.get('window') ?? undefined, saved.get('group') ?? '');

  $<HTMLSelectElement>('aggregate').addEventListener('change', (e) => {
    selectAggregate((e.target as HTMLSelectElement).value);
    void readNow();
  });
  $<HTMLSelectElement>('window').addEventListener('change', (e) => {
    selectWindow((e.target as HTMLSelectElement).value);
    void readNow();
  });
  $<HTMLSelectElement>('group').addEventListener('change', (e) => selectGroup((e.target as HTMLSelectElement).value));
  $('faults').addEventListener('submit', (e) => {
    e.preventDefault();
    void applyFaultRate();
  });

  await tick();
  setInterval(() => void tick(), POLL_MS[state.mode]);
}

void start().catch((error: unknown) => setHealth(false, `unreachable: ${(error as Error).message}`));
