//! The shrinker-API debate, measured (docs/DESIGNS.md). A plain `main`; every mode prints
//! markdown tables and writes its data under `docs/designs-data/`; `plot` draws the SVGs
//! of `docs/img/` from those files. `bash scripts/designs-report.sh` runs all of it.
//!
//! ```text
//! cargo bench --bench designs -- shuttle      # lock sections / model steps, 2-64 CPUs; fairness
//! cargo bench --no-default-features --bench designs -- threads   # real threads 1-16
//! cargo bench --bench designs -- plot         # SVGs from the CSVs
//! ```

use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use ttm_model::engine::{EngineKind, RunConfig, explore};
use ttm_model::model::VariantSet;
use ttm_model::scenario::designs::{FAIRNESS, fairness, measure};
use ttm_model::walker::designs::{MEASURE, Measure, ShrinkDesign};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> PathBuf {
    let d = root().join("docs/designs-data");
    std::fs::create_dir_all(&d).expect("create docs/designs-data");
    d
}

fn img_dir() -> PathBuf {
    let d = root().join("docs/img");
    std::fs::create_dir_all(&d).expect("create docs/img");
    d
}

/// User + system CPU time of the whole process.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

struct Cell {
    executions: u64,
    freed: u64,
    locks: u64,
    steps: u64,
    scans: u64,
    wall: Duration,
    cpu: Duration,
    failure: Option<String>,
}

fn run_cell(
    engine: EngineKind,
    d: ShrinkDesign,
    cpus: usize,
    max: usize,
    budget: Duration,
) -> Cell {
    let st = &MEASURE[d.index()];
    st.reset();
    let sc = measure(d, cpus);
    let mut cfg = RunConfig::new(engine, VariantSet::NONE);
    cfg.seed = 1;
    cfg.trace = false;
    cfg.max_executions = Some(max);
    cfg.budget = budget;
    let c0 = cpu_time();
    let t0 = Instant::now();
    let o = explore(&sc, &cfg);
    let wall = t0.elapsed();
    let cpu = cpu_time() - c0;
    Cell {
        executions: Measure::get(&st.executions),
        freed: Measure::get(&st.freed_pages),
        locks: Measure::get(&st.lock_sections),
        steps: Measure::get(&st.steps),
        scans: Measure::get(&st.scan_calls),
        wall,
        cpu,
        failure: o.found.map(|f| f.failure.to_string()),
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn mode_shuttle() {
    let mut csv = String::from(
        "design,cpus,executions,freed_pages,lock_sections,steps,scan_calls,pages_per_lock,pages_per_step,failure\n",
    );
    println!("## Shuttle: pages freed per lru_lock section and per model step\n");
    println!("command: cargo bench --bench designs -- shuttle\n");
    println!(
        "| design | CPUs | executions | pages freed/exec | lock sections/exec | pages per lock section | pages per model step | scan calls/exec |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for cpus in [2usize, 4, 8, 16, 32, 64] {
        let max = match cpus {
            0..=8 => 300,
            16 => 150,
            32 => 60,
            _ => 30,
        };
        for d in ShrinkDesign::ALL {
            let c = run_cell(EngineKind::Shuttle, d, cpus, max, Duration::from_secs(4));
            let e = c.executions.max(1) as f64;
            println!(
                "| {} | {} | {} | {:.2} | {:.1} | {:.4} | {:.4} | {:.1} |{}",
                d.name(),
                cpus,
                c.executions,
                c.freed as f64 / e,
                c.locks as f64 / e,
                ratio(c.freed, c.locks),
                ratio(c.freed, c.steps),
                c.scans as f64 / e,
                c.failure
                    .as_deref()
                    .map(|f| format!(" FAILED: {f}"))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{:.6},{:.6},{}",
                d.name(),
                cpus,
                c.executions,
                c.freed,
                c.locks,
                c.steps,
                c.scans,
                ratio(c.freed, c.locks),
                ratio(c.freed, c.steps),
                c.failure.unwrap_or_default().replace(',', ";")
            );
        }
    }
    std::fs::write(data_dir().join("shuttle.csv"), csv).expect("write shuttle.csv");

    println!(
        "\n## Fairness: two shrinkers (256 x 1-page BOs, 64 x 4-page BOs) under do_shrink_slab\n"
    );
    println!(
        "| design | shrinker | freed pages | share of freed | nr_to_scan asked (sum, shrinker units) | charged nr_scanned (pages) | scan calls | nr_deferred at end | lowest priority |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    FAIRNESS.lock().unwrap().clear();
    for d in ShrinkDesign::ALL {
        let mut cfg = RunConfig::new(EngineKind::Shuttle, VariantSet::NONE);
        cfg.trace = false;
        cfg.max_executions = Some(1);
        cfg.budget = Duration::from_secs(60);
        let o = explore(&fairness(d), &cfg);
        if let Some(f) = o.found {
            println!("fairness {}: FAILED {}", d.name(), f.failure);
        }
    }
    let rows = FAIRNESS.lock().unwrap().clone();
    let mut csv = String::from(
        "design,shrinker,object_pages,freeable_pages,freed_pages,share,requested_units,charged_pages,scan_calls,nr_deferred,priority\n",
    );
    for pair in rows.chunks(2) {
        let total: u64 = pair.iter().map(|r| r.freed_pages).sum();
        for r in pair {
            let share = ratio(r.freed_pages, total);
            println!(
                "| {} | {} | {} | {:.2} | {} | {} | {} | {} | {} |",
                r.design,
                r.shrinker,
                r.freed_pages,
                share,
                r.requested_units,
                r.charged_pages,
                r.scan_calls,
                r.nr_deferred,
                r.priority
            );
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{:.4},{},{},{},{},{}",
                r.design,
                r.shrinker,
                r.object_pages,
                r.freeable_pages,
                r.freed_pages,
                share,
                r.requested_units,
                r.charged_pages,
                r.scan_calls,
                r.nr_deferred,
                r.priority
            );
        }
    }
    std::fs::write(data_dir().join("fairness.csv"), csv).expect("write fairness.csv");
}

fn mode_threads() {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("## Real threads (parking_lot): throughput and CPU time per freed page\n");
    println!("command: cargo bench --no-default-features --bench designs -- threads");
    println!("machine: {cores} cores (std::thread::available_parallelism)\n");
    println!(
        "| design | threads | executions | freed pages | pages/s (wall) | CPU µs per freed page | lock sections per page |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut csv = String::from(
        "design,threads,cores,executions,freed_pages,wall_s,cpu_s,pages_per_s,cpu_us_per_page,lock_sections\n",
    );
    // Warm-up (page faults, allocator), then three interleaved rounds per thread count so
    // drift from the other load on the machine is spread over the designs.
    let _ = run_cell(
        EngineKind::Threads,
        ShrinkDesign::GuardedIterator,
        2,
        usize::MAX,
        Duration::from_millis(500),
    );
    for threads in [1usize, 2, 4, 8, 16] {
        let mut acc: Vec<Cell> = Vec::new();
        for round in 0..3 {
            for (i, d) in ShrinkDesign::ALL.into_iter().enumerate() {
                let c = run_cell(
                    EngineKind::Threads,
                    d,
                    threads,
                    usize::MAX,
                    Duration::from_millis(700),
                );
                if round == 0 {
                    acc.push(c);
                } else {
                    let a = &mut acc[i];
                    a.executions += c.executions;
                    a.freed += c.freed;
                    a.locks += c.locks;
                    a.wall += c.wall;
                    a.cpu += c.cpu;
                    a.failure = a.failure.take().or(c.failure);
                }
            }
        }
        for (d, c) in ShrinkDesign::ALL.into_iter().zip(acc) {
            let pps = c.freed as f64 / c.wall.as_secs_f64();
            let us = if c.freed == 0 {
                0.0
            } else {
                c.cpu.as_secs_f64() * 1e6 / c.freed as f64
            };
            println!(
                "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} |{}",
                d.name(),
                threads,
                c.executions,
                c.freed,
                pps,
                us,
                1.0 / ratio(c.freed, c.locks).max(1e-9),
                c.failure
                    .as_deref()
                    .map(|f| format!(" FAILED: {f}"))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{:.4},{:.4},{:.1},{:.3},{}",
                d.name(),
                threads,
                cores,
                c.executions,
                c.freed,
                c.wall.as_secs_f64(),
                c.cpu.as_secs_f64(),
                pps,
                us,
                c.locks
            );
        }
    }
    std::fs::write(data_dir().join("threads.csv"), csv).expect("write threads.csv");
}

// ------------------------------------------------------------------------ plots

fn read_csv(p: &Path) -> Vec<Vec<String>> {
    let s = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    s.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// One line per design: x = column `xc` (log2 axis), y = column `yc`.
fn line_plot(
    rows: &[Vec<String>],
    xc: usize,
    yc: usize,
    title: &str,
    xl: &str,
    yl: &str,
    out: &Path,
) {
    let series: Vec<(ShrinkDesign, Vec<(f64, f64)>)> = ShrinkDesign::ALL
        .iter()
        .map(|d| {
            let pts = rows
                .iter()
                .filter(|r| r[0] == d.name())
                .map(|r| {
                    let x: f64 = r[xc].parse().unwrap();
                    (x.log2(), r[yc].parse().unwrap())
                })
                .collect();
            (*d, pts)
        })
        .collect();
    let ymax = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(0.0f64, f64::max)
        * 1.15
        + 1e-9;
    let xmax = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(x, _)| *x))
        .fold(0.0f64, f64::max);
    let root = SVGBackend::new(out, (720, 440)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.2f64..xmax + 0.2, 0.0f64..ymax)
        .unwrap();
    chart
        .configure_mesh()
        .x_desc(xl)
        .y_desc(yl)
        .x_label_formatter(&|x| format!("{}", 2f64.powf(x.round()) as u64))
        .draw()
        .unwrap();
    for (i, (d, pts)) in series.iter().enumerate() {
        let c = COLORS[i];
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .unwrap()
            .label(d.name())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart
            .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
            .unwrap();
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .unwrap();
    root.present().unwrap();
}

fn fairness_plot(rows: &[Vec<String>], out: &Path) {
    let root = SVGBackend::new(out, (720, 440)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Share of freed pages: 1-page-object vs 4-page-object shrinker",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0f64..4.0, 0.0f64..1.0)
        .unwrap();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(4)
        .x_label_formatter(&|x| {
            ShrinkDesign::ALL
                .get(x.floor() as usize)
                .map_or(String::new(), |d| d.name().to_string())
        })
        .y_desc("share of pages freed (equal pages: fair = 0.5)")
        .draw()
        .unwrap();
    for (i, d) in ShrinkDesign::ALL.iter().enumerate() {
        let share = |who: &str| {
            rows.iter()
                .find(|r| r[0] == d.name() && r[1].starts_with(who))
                .map_or(0.0, |r| r[5].parse::<f64>().unwrap())
        };
        let x = i as f64;
        let bars = [
            (x + 0.15, x + 0.45, share("small"), COLORS[0]),
            (x + 0.55, x + 0.85, share("large"), COLORS[1]),
        ];
        chart
            .draw_series(
                bars.iter()
                    .map(|(a, b, y, c)| Rectangle::new([(*a, 0.0), (*b, *y)], c.filled())),
            )
            .unwrap();
    }
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, 0.5), (4.0, 0.5)],
            BLACK.stroke_width(1),
        ))
        .unwrap();
    root.present().unwrap();
}

fn mode_plot() {
    let dd = data_dir();
    let img = img_dir();
    let sh = read_csv(&dd.join("shuttle.csv"));
    line_plot(
        &sh,
        1,
        7,
        "Pages freed per lru_lock section (shuttle)",
        "simulated CPUs",
        "pages / lock section",
        &img.join("designs-pages-per-lock.svg"),
    );
    line_plot(
        &sh,
        1,
        8,
        "Pages freed per model step (shuttle)",
        "simulated CPUs",
        "pages / step",
        &img.join("designs-pages-per-step.svg"),
    );
    let th = dd.join("threads.csv");
    if th.exists() {
        let th = read_csv(&th);
        line_plot(
            &th,
            1,
            7,
            "Real threads: freed pages per second",
            "threads",
            "pages / s (wall)",
            &img.join("designs-threads-throughput.svg"),
        );
        line_plot(
            &th,
            1,
            8,
            "Real threads: CPU time per freed page",
            "threads",
            "CPU µs / page",
            &img.join("designs-threads-cpu.svg"),
        );
    }
    let fa = read_csv(&dd.join("fairness.csv"));
    fairness_plot(&fa, &img.join("designs-fairness.svg"));
    println!("plots written to {}", img.display());
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("shuttle") if cfg!(all(feature = "shuttle", not(loom))) => mode_shuttle(),
        Some("threads") if cfg!(not(any(loom, feature = "shuttle"))) => mode_threads(),
        Some("plot") => mode_plot(),
        other => {
            eprintln!(
                "usage: cargo bench --bench designs -- shuttle | plot\n       cargo bench --no-default-features --bench designs -- threads\n(got {other:?}; shuttle needs the default build, threads the --no-default-features build)"
            );
            std::process::exit(2);
        }
    }
}
