#!/usr/bin/env python3
"""Turn the raw samples of scripts/bench/guest.sh into the bench's figures.

    report.py DIR

Reads DIR/{refill,e2e,scale,latency}.txt, prints the tables and the
targets, writes DIR/bench.csv (one row per figure cell) and DIR/bench.json
(cells, ratios, targets), and DIR/*.dat for gnuplot.  Every ratio is taken
per repeat between two variants measured in that repeat, then the median
and the spread (min..max) of those per-repeat ratios are reported:
absolute numbers come from an emulated CPU and are printed for scale only.
"""
import csv
import json
import os
import statistics
import sys
from collections import defaultdict

# page_pool's fast path on real hardware (upstream's bench_page_pool_simple,
# 16-19 cycles at ~3.5 GHz): the divisor of the emulation's slowdown
REAL_FAST_PATH_NS = 5.0


def median(xs):
    return statistics.median(xs) if xs else float('nan')


def spread(xs):
    return (min(xs), max(xs)) if xs else (float('nan'), float('nan'))


def read_rows(path, types):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != len(types):
                continue
            rows.append([t(p) for t, p in zip(types, parts)])
    return rows


class Report:
    def __init__(self, d):
        self.d = d
        self.cells = []      # csv rows
        self.ratios = {}     # name -> dict
        self.targets = []    # dicts

    def cell(self, figure, variant, key, unit, samples):
        lo, hi = spread(samples)
        c = {'figure': figure, 'variant': variant, 'key': key, 'unit': unit,
             'median': median(samples), 'min': lo, 'max': hi, 'n': len(samples)}
        self.cells.append(c)
        return c

    def ratio(self, name, per_rep):
        """per_rep: the per-repeat ratios of one comparison."""
        lo, hi = spread(per_rep)
        r = {'median': median(per_rep), 'min': lo, 'max': hi, 'n': len(per_rep)}
        self.ratios[name] = r
        return r

    def target(self, name, value, op, bound, unit='', note=''):
        if value != value:  # nan: not measured
            met = None
        else:
            met = value <= bound if op == '<=' else value >= bound if op == '>=' else value < bound
        self.targets.append({'target': name, 'value': value, 'op': op, 'bound': bound,
                             'unit': unit, 'met': met, 'note': note})

    # -- refill microbenchmark --------------------------------------------
    def refill(self):
        rows = read_rows(os.path.join(self.d, 'refill.txt'), [str, str, int, int, int, int])
        if not rows:
            return False
        if any(r[4] <= 0 for r in rows):
            # a cell that took "no time": the guest's clock is too coarse
            print('bench: refill cells of 0 ns: the guest clock cannot time them', file=sys.stderr)
            return False
        per = defaultdict(dict)   # (variant, mode, batch) -> {rep: ns/buffer}
        for v, mode, batch, rep, ns, bufs in rows:
            per[(v, mode, batch)][rep] = ns / bufs
        print('== refill: ns per buffer (median of repeats, min..max) ==')
        print(f"{'variant':<18}{'mode':<8}{'batch':>6}{'median':>10}{'min':>10}{'max':>10}")
        with open(os.path.join(self.d, 'refill.dat'), 'w') as dat:
            for (v, mode, batch), reps in sorted(per.items()):
                c = self.cell('refill', f'{v}/{mode}', batch, 'ns/buffer', list(reps.values()))
                print(f"{v:<18}{mode:<8}{batch:>6}{c['median']:>10.1f}{c['min']:>10.1f}{c['max']:>10.1f}")
                dat.write(f"{v}/{mode} {batch} {c['median']:.2f} {c['min']:.2f} {c['max']:.2f}\n")

        def paired(a, b):
            ra, rb = per.get(a, {}), per.get(b, {})
            return [ra[r] / rb[r] for r in ra if r in rb and rb[r] > 0]

        print('\n== refill ratios (per repeat, then median) ==')
        for batch in (1, 16, 64):
            for mode in ('steady', 'cold'):
                r = self.ratio(f'bpf_over_c/{mode}/{batch}',
                               paired(('bpfmp_bpf_host', mode, batch), ('bpfmp_c_host', mode, batch)))
                u = self.ratio(f'upstream_over_bpfmp_device/{mode}/{batch}',
                               paired(('upstream_devmem', mode, batch), ('bpfmp_device', mode, batch)))
                b = self.ratio(f'device_1_over_bulk/{mode}/{batch}',
                               paired(('bpfmp_device_1', mode, batch), ('bpfmp_device', mode, batch)))
                h = self.ratio(f'bpfmp_host_over_pp/{mode}/{batch}',
                               paired(('bpfmp_bpf_host', mode, batch), ('pp_alloc_host', mode, batch)))
                print(f"batch {batch:>2} {mode:<6}  BPF/C policy {r['median']:.3f} "
                      f"[{r['min']:.3f}..{r['max']:.3f}]  upstream/bpfmp device {u['median']:.2f}x "
                      f"[{u['min']:.2f}..{u['max']:.2f}]  one-by-one/bulk {b['median']:.2f}x  "
                      f"bpfmp(BPF host)/page_pool {h['median']:.2f}")
        self.target('BPF policy / built-in C policy, per buffer, batch 64 (steady)',
                    self.ratios['bpf_over_c/steady/64']['median'], '<=', 1.03)
        self.target('bpfmp device refill vs upstream devmem, cold, batch 64 (x faster)',
                    self.ratios['upstream_over_bpfmp_device/cold/64']['median'], '>=', 1.2, 'x')
        self.target('bpfmp device refill vs upstream devmem, steady, batch 64 (not slower)',
                    self.ratios['upstream_over_bpfmp_device/steady/64']['median'], '>=', 1.0, 'x')
        fast = per.get(('pp_alloc_host', 'steady', 64), {})
        self.slowdown = median(list(fast.values())) / REAL_FAST_PATH_NS if fast else float('nan')
        print(f"\nemulation slowdown: page_pool fast path {median(list(fast.values())):.1f} ns here "
              f"vs ~{REAL_FAST_PATH_NS} ns on hardware = {self.slowdown:.0f}x")
        return True

    # -- end to end ---------------------------------------------------------
    def e2e(self, driver='netdevsim', name='e2e'):
        rows = read_rows(os.path.join(self.d, name + '.txt'), [str, str, int, int, int, int])
        if not rows:
            return False
        tcp = defaultdict(dict)   # variant -> rep -> (MB/s, jiffies per MiB)
        udp = defaultdict(dict)   # variant -> rep -> pps
        for v, kind, rep, ns, x, n in rows:
            if kind == 'tcp':
                tcp[v][rep] = (n / (ns / 1e9) / 1e6, x / (n / (1 << 20)))
            else:
                udp[v][rep] = x / (ns / 1e9)
        print(f'\n== end to end, {driver} pair (TCG: ratios only) ==')
        print(f"{'variant':<18}{'TCP MB/s':>10}{'min':>8}{'max':>8}{'jiffies/MiB':>13}{'UDP pps':>10}")
        with open(os.path.join(self.d, name + '.dat'), 'w') as dat:
            for v in ('none', 'host', 'bpfmp_devmem', 'upstream_devmem'):
                if v not in tcp:
                    continue
                mbs = [a for a, _ in tcp[v].values()]
                cpu = [b for _, b in tcp[v].values()]
                c = self.cell('e2e_tcp', v, driver, 'MB/s', mbs)
                self.cell('e2e_tcp_cpu', v, driver, 'jiffies/MiB', cpu)
                pps = list(udp[v].values()) if v in udp else []
                if pps:
                    self.cell('e2e_udp', v, driver, 'packets/s', pps)
                ptxt = f"{median(pps):>10.0f}" if pps else f"{'-':>10}"
                print(f"{v:<18}{c['median']:>10.1f}{c['min']:>8.1f}{c['max']:>8.1f}{median(cpu):>13.1f}{ptxt}")
                dat.write(f"{v} {c['median']:.2f} {c['min']:.2f} {c['max']:.2f}\n")

        def paired(a, b, src, i=None):
            ra, rb = src.get(a, {}), src.get(b, {})
            pick = (lambda x: x[i]) if i is not None else (lambda x: x)
            return [pick(ra[r]) / pick(rb[r]) for r in ra if r in rb]

        h = self.ratio(f'{driver}/e2e_tcp_host_over_none', paired('host', 'none', tcp, 0))
        d = self.ratio(f'{driver}/e2e_tcp_bpfmp_over_upstream_devmem',
                       paired('bpfmp_devmem', 'upstream_devmem', tcp, 0))
        u = self.ratio(f'{driver}/e2e_udp_host_over_none', paired('host', 'none', udp))
        print(f"TCP bpfmp host / no bpfmp {h['median']:.3f} [{h['min']:.3f}..{h['max']:.3f}]; "
              f"bpfmp devmem / upstream devmem {d['median']:.3f} [{d['min']:.3f}..{d['max']:.3f}]; "
              f"UDP pps host / none {u['median']:.3f}")
        self.target(f'{driver}: TCP throughput, bpfmp host policy / no bpfmp', h['median'], '>=', 0.97, 'x')
        self.target(f'{driver}: TCP throughput, bpfmp device memory / upstream devmem',
                    d['median'], '>=', 0.97, 'x')
        return True

    # -- scale and control -----------------------------------------------
    def scale(self):
        rows = read_rows(os.path.join(self.d, 'scale.txt'), [int, int, int, int, int])
        if not rows:
            return False
        per = defaultdict(list)
        for n, rep, a, dt, slab in rows:
            per[n].append((a / 1e6, dt / 1e6, slab / n))
        print('\n== scale: attach and detach N queues (ms, median of repeats) ==')
        print(f"{'queues':>6}{'attach':>10}{'detach':>10}{'total':>10}{'slab KiB/queue':>16}")
        for n in sorted(per):
            a = [x[0] for x in per[n]]
            dt = [x[1] for x in per[n]]
            tot = [x[0] + x[1] for x in per[n]]
            sl = [x[2] for x in per[n]]
            self.cell('scale_ms', f'{n}_queues', 'attach+detach', 'ms', tot)
            self.cell('scale_slab', f'{n}_queues', 'slab', 'KiB/queue', sl)
            print(f"{n:>6}{median(a):>10.1f}{median(dt):>10.1f}{median(tot):>10.1f}{median(sl):>16.1f}")
        if 64 in per:
            tot = median([x[0] + x[1] for x in per[64]])
            self.target('64 queues attached and detached (s, emulated)', tot / 1e3, '<', 1.0, 's')
            sd = self.slowdown
            scaled = tot / 1e3 / sd if sd == sd and sd > 0 else float('nan')
            self.target('64 queues attached and detached (s, divided by the emulation slowdown)',
                        scaled, '<', 1.0, 's',
                        'slowdown = page_pool fast path here / ~5 ns on hardware')
            self.target('kernel memory per attached queue beyond its pools (KiB)',
                        median([x[2] for x in per[64]]), '<=', 64.0, 'KiB')
        return True

    def latency(self):
        rows = read_rows(os.path.join(self.d, 'latency.txt'), [int, str, str, int, int])
        if not rows:
            return False
        old = [r[3] for r in rows]
        new = [r[4] for r in rows]
        print(f"\n== policy change: refill batches served by the old entry after the update ==")
        print(f"old-entry batches per switch: median {median(old)}, max {max(old)} "
              f"(new-entry batches: median {median(new)}) over {len(rows)} switches")
        self.cell('latency', 'static_map_update', 'old_batches', 'batches', old)
        self.target('policy change takes effect within one refill batch (old batches, max)',
                    max(old), '<=', 1, 'batches')
        return True

    def write(self):
        with open(os.path.join(self.d, 'bench.csv'), 'w', newline='') as f:
            w = csv.DictWriter(f, fieldnames=['figure', 'variant', 'key', 'unit', 'median', 'min', 'max', 'n'])
            w.writeheader()
            w.writerows(self.cells)
        def clean(x):  # NaN (not measured) is not JSON: null
            if isinstance(x, float) and x != x:
                return None
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, list):
                return [clean(v) for v in x]
            return x
        with open(os.path.join(self.d, 'bench.json'), 'w') as f:
            json.dump(clean({'cells': self.cells, 'ratios': self.ratios, 'targets': self.targets}), f, indent=1)
        print('\n== targets ==')
        for t in self.targets:
            state = {True: 'met', False: 'MISSED', None: 'not measured'}[t['met']]
            print(f"{state:<13}{t['target']}: {t['value']:.3f}{t['unit']} (target {t['op']} {t['bound']}{t['unit']})")


def main():
    d = sys.argv[1]
    r = Report(d)
    r.slowdown = float('nan')
    parts = [r.refill(), r.e2e(), r.scale(), r.latency()]
    # the e1000e VM's part, when run.sh had one (not in the smoke run)
    if os.path.exists(os.path.join(d, 'e2e.e1000e.txt')):
        parts.append(r.e2e('e1000e', 'e2e.e1000e'))
    r.write()
    if not all(parts):
        print('bench: some parts produced no samples', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
