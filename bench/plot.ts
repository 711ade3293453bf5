/**
 * The benchmark's SVG: left, prefill and decode tokens/s of both engines per weight type (bars, a scale
 * per metric, the engines' ratio above each pair); right,
 * decode tokens/s against context length for bench-small and bench-small-attn (log-2 x axis, one line
 * per model and weight type, a colour per weight type, all-attention dashed, and the hybrid /
 * all-attention ratio at the longest context, steady and with the caches emptied before each token
 * where the run measured it). Plain SVG text, no dependencies.
 */
export interface Row {
  engine: string; model: string; weights: string; context_tokens?: number;
  prefill_tokens?: number; decode_tokens?: number;
  prefill_tokens_per_s: number | null; decode_tokens_per_s: number | null;
  decode_cold_tokens_per_s?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function text(x: number, y: number, s: string, extra = ''): string {
  const size = extra.includes('font-size') ? '' : ' font-size="11"'; // an attribute may appear only once
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="sans-serif"${size} ${extra}>${esc(s)}</text>`;
}

/* one panel of bars: a metric's tokens/s per weight type, one bar per engine, its own scale; above
 * each group the first engine's value over the second's */
function barPanel(peer: Row[], m: 'prefill_tokens_per_s' | 'decode_tokens_per_s', title: string,
                  x0: number, y0: number, w: number, h: number): string[] {
  const out: string[] = [text(x0, y0 - 8, title, 'font-weight="bold"')];
  const head = 26; /* room above the tallest bar for its value and the ratio */
  y0 += head; h -= head;
  const types = [...new Set(peer.map((r) => r.weights))];
  const engines = [...new Set(peer.map((r) => r.engine))];
  const max = Math.max(1, ...peer.map((r) => r[m] ?? 0));
  const group = w / Math.max(1, types.length);
  const bw = (group * 0.8) / Math.max(1, engines.length);
  types.forEach((t, ti) => {
    const gx = x0 + ti * group + group * 0.1;
    const vals = engines.map((e) => peer.find((p) => p.weights === t && p.engine === e)?.[m] ?? 0);
    vals.forEach((v, ei) => {
      const bh = (v / max) * h;
      out.push(`<rect x="${(gx + ei * bw).toFixed(1)}" y="${(y0 + h - bh).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[ei % COLORS.length]}"><title>${esc(`${engines[ei]} ${t}: ${v.toFixed(1)} tok/s`)}</title></rect>`);
      out.push(text(gx + ei * bw + (bw - 1) / 2, y0 + h - bh - 2, v.toFixed(0), 'font-size="8" text-anchor="middle"'));
    });
    if (vals.length >= 2 && vals[1]! > 0) {
      const top = y0 + h - (Math.max(...vals) / max) * h;
      out.push(text(gx + (bw * vals.length) / 2, top - 12, `${(vals[0]! / vals[1]!).toFixed(2)}×`, 'font-size="9" font-weight="bold" text-anchor="middle"'));
    }
    out.push(text(gx + (bw * engines.length) / 2, y0 + h + 12, t, 'font-size="9" text-anchor="middle"'));
  });
  out.push(`<line x1="${x0}" y1="${y0 + h}" x2="${x0 + w}" y2="${y0 + h}" stroke="black"/>`);
  return out;
}

function bars(rows: Row[], x0: number, y0: number, w: number, h: number): string[] {
  const peer = rows.filter((r) => r.context_tokens === undefined && r.model === 'bench-small');
  if (peer.length === 0) return [text(x0, y0 - 8, 'peer comparison: not run (--skip-peer)', 'font-weight="bold"')];
  const engines = [...new Set(peer.map((r) => r.engine))];
  const half = (w - 20) / 2;
  const out = [
    ...barPanel(peer, 'prefill_tokens_per_s', `${peer[0]!.model} prefill (${peer[0]!.prefill_tokens ?? '?'} tokens), tok/s`, x0, y0, half, h),
    ...barPanel(peer, 'decode_tokens_per_s', `${peer[0]!.model} decode (${peer[0]!.decode_tokens ?? '?'} tokens), tok/s`, x0 + half + 20, y0, half, h),
  ];
  engines.forEach((e, ei) => {
    out.push(`<rect x="${x0 + ei * 90}" y="${y0 + h + 22}" width="10" height="10" fill="${COLORS[ei % COLORS.length]}"/>`, text(x0 + ei * 90 + 14, y0 + h + 31, e));
  });
  if (engines.length >= 2) out.push(text(x0 + engines.length * 90 + 10, y0 + h + 31, `above each pair: ${engines[0]} / ${engines[1]}`));
  return out;
}

function lines(rows: Row[], x0: number, y0: number, w: number, h: number): string[] {
  const lc = rows.filter((r) => r.context_tokens !== undefined && r.decode_tokens_per_s);
  if (lc.length === 0) return [text(x0, y0 - 8, 'long context: not run (--skip-long)', 'font-weight="bold"')];
  const out: string[] = [text(x0, y0 - 8, 'jamba-ts decode tokens/s vs context', 'font-weight="bold"')];
  const ctxs = [...new Set(lc.map((r) => r.context_tokens!))].sort((a, b) => a - b);
  const max = Math.max(...lc.map((r) => r.decode_tokens_per_s!));
  const lx = (c: number) => x0 + (ctxs.length === 1 ? w / 2 : (Math.log2(c / ctxs[0]!) / Math.log2(ctxs[ctxs.length - 1]! / ctxs[0]!)) * w);
  const ly = (v: number) => y0 + h - (v / max) * h;
  const series = [...new Set(lc.map((r) => `${r.model} ${r.weights}`))];
  const weights = [...new Set(lc.map((r) => r.weights))];
  series.forEach((s, si) => {
    const pts = lc.filter((r) => `${r.model} ${r.weights}` === s).sort((a, b) => a.context_tokens! - b.context_tokens!);
    const color = COLORS[weights.indexOf(pts[0]!.weights) % COLORS.length]; /* a colour per weight type; all-attention dashed */
    const dash = s.includes('attn') ? ' stroke-dasharray="5,3"' : '';
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${lx(p.context_tokens!).toFixed(1)},${ly(p.decode_tokens_per_s!).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${lx(p.context_tokens!).toFixed(1)}" cy="${ly(p.decode_tokens_per_s!).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s} @${p.context_tokens}: ${p.decode_tokens_per_s!.toFixed(1)} tok/s`)}</title></circle>`);
    out.push(`<line x1="${x0 + 10}" y1="${y0 + h + 28 + si * 14}" x2="${x0 + 30}" y2="${y0 + h + 28 + si * 14}" stroke="${color}" stroke-width="2"${dash}/>`, text(x0 + 34, y0 + h + 32 + si * 14, s));
  });
  const last = ctxs[ctxs.length - 1]!; /* hybrid / all-attention at the longest context, beside its points */
  weights.forEach((wt, wi) => {
    const at = (model: string) => lc.find((r) => r.model === model && r.weights === wt && r.context_tokens === last);
    const h = at('bench-small'), a = at('bench-small-attn'), hy = h?.decode_tokens_per_s, aa = a?.decode_tokens_per_s;
    if (!hy || !aa) return;
    const y = (ly(hy) + ly(aa)) / 2 + 4, fill = `fill="${COLORS[wi % COLORS.length]}"`;
    out.push(text(lx(last) + 6, y, `${(hy / aa).toFixed(2)}×`, `font-size="10" font-weight="bold" ${fill}`));
    if (h?.decode_cold_tokens_per_s && a?.decode_cold_tokens_per_s) out.push(text(lx(last) + 6, y + 11, `cold ${(h.decode_cold_tokens_per_s / a.decode_cold_tokens_per_s).toFixed(2)}×`, `font-size="9" ${fill}`));
  });
  for (const c of ctxs) out.push(text(lx(c) - 10, y0 + h + 14, c >= 1024 ? `${c / 1024}K` : String(c)));
  out.push(`<line x1="${x0}" y1="${y0 + h}" x2="${x0 + w}" y2="${y0 + h}" stroke="black"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y0 + h}" stroke="black"/>`);
  out.push(text(x0 - 4, y0 + 4, max.toFixed(0), 'text-anchor="end"'), text(x0 - 4, y0 + h, '0', 'text-anchor="end"'));
  return out;
}

export function svg(rows: Row[]): string {
  const W = 1060, H = 420; /* the right edge leaves room for the ratios beside the last context */
  const body = [...bars(rows, 40, 40, 500, 280), ...lines(rows, 620, 40, 340, 280)];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><rect width="100%" height="100%" fill="white"/>\n${body.join('\n')}\n</svg>\n`;
}
