//! The SVM VRAM-manager designs of the 2024 exhaustive-eviction thread, measured
//! (docs/SVM-DESIGNS.md, issue 15). A plain `main`; every mode writes its data under
//! `docs/svm-designs-data/`; `plot` draws the SVGs of `docs/img/svm-designs-*.svg`.
//! `bash scripts/svm-designs-report.sh` runs all of it.
//!
//! ```text
//! cargo bench --bench svm_designs -- shuttle    # 6 designs x 2/4/8/16 CPUs x pins off/on
//! cargo bench --no-default-features --bench svm_designs -- threads   # real threads
//! cargo bench --bench svm_designs -- plot
//! ```

use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;
use ttm_model::engine::{EngineKind, RunConfig, explore};
use ttm_model::model::VariantSet;
use ttm_model::scenario::svm_designs::{CPUS, Shape, workload};
use ttm_model::svm::designs::{SVM_MEASURE, SvmDesign, SvmMeasure};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> PathBuf {
    let d = root().join("docs/svm-designs-data");
    std::fs::create_dir_all(&d).expect("create docs/svm-designs-data");
    d
}

fn img_dir() -> PathBuf {
    let d = root().join("docs/img");
    std::fs::create_dir_all(&d).expect("create docs/img");
    d
}

const HEADER: &str = "design,cpus,pins,executions,oldest_ok,to_vram,to_ram,undone,ref_failures,gpu_faults,gpu_fault_passes,sigbus,stalls,stall_fallbacks,steps,reclaimed,validate_ns,fault_ns,failure,lock_wait_ns";

/// One cell: `max` executions (or `budget`) of the workload, its totals as a CSV row.
fn run_cell(
    engine: EngineKind,
    seed: u64,
    design: SvmDesign,
    cpus: usize,
    pins: bool,
    max: usize,
    budget: Duration,
) -> String {
    let st = &SVM_MEASURE[design.index()];
    st.reset();
    let sc = workload(Shape {
        design,
        cpus,
        pins,
        stall_locked: false,
    });
    let mut cfg = RunConfig::new(engine, VariantSet::NONE);
    cfg.seed = seed;
    cfg.trace = false;
    cfg.max_executions = Some(max);
    cfg.budget = budget;
    let o = explore(&sc, &cfg);
    let g = SvmMeasure::get;
    format!(
        "{},{cpus},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        design.name(),
        u8::from(pins),
        g(&st.executions),
        g(&st.oldest_ok),
        g(&st.to_vram),
        g(&st.to_ram),
        g(&st.undone),
        g(&st.ref_failures),
        g(&st.gpu_faults),
        g(&st.gpu_fault_passes),
        g(&st.sigbus),
        g(&st.stalls),
        g(&st.stall_fallbacks),
        g(&st.steps),
        g(&st.reclaimed),
        g(&st.validate_ns),
        g(&st.fault_ns),
        o.found
            .map(|f| f.failure.to_string().replace([',', '\n'], ";"))
            .unwrap_or_default(),
        g(&st.lock_wait_ns)
    )
}

fn mode(engine: EngineKind, file: &str, max: fn(usize) -> usize, budget: Duration, pins: &[bool]) {
    let mut csv = format!("{HEADER}\n");
    for cpus in CPUS {
        for &p in pins {
            for d in SvmDesign::ALL {
                let row = run_cell(engine, 1, d, cpus, p, max(cpus), budget);
                eprintln!("{row}");
                let _ = writeln!(csv, "{row}");
            }
        }
    }
    std::fs::write(data_dir().join(file), csv).expect("write csv");
}

/// The seeds of the spread run (`seeds` mode).
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// The spread over seeds: every design at every CPU count (no pins), once per seed of
/// `SEEDS`, 600 executions at 2/4 CPUs and 200 at 8/16: `seeds.csv` (a `seed` column
/// first), then `seed_table()`.
fn seeds_mode() {
    let mut csv = format!("seed,{HEADER}\n");
    for cpus in CPUS {
        for d in SvmDesign::ALL {
            for seed in SEEDS {
                let max = if cpus <= 4 { 600 } else { 200 };
                let row = run_cell(
                    EngineKind::Shuttle,
                    seed,
                    d,
                    cpus,
                    false,
                    max,
                    Duration::from_secs(20),
                );
                eprintln!("{seed},{row}");
                let _ = writeln!(csv, "{seed},{row}");
            }
        }
    }
    std::fs::write(data_dir().join("seeds.csv"), csv).expect("write seeds.csv");
    seed_table();
}

/// `mean [min–max]` of `f` over the rows.
fn spread(rows: &[&Row], f: impl Fn(&Row) -> f64, pct: bool) -> String {
    let v: Vec<f64> = rows.iter().map(|r| f(r)).collect();
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if pct {
        format!(
            "{:.0} % [{:.0}–{:.0}]",
            100.0 * mean,
            100.0 * lo,
            100.0 * hi
        )
    } else {
        format!("{mean:.3} [{lo:.3}–{hi:.3}]")
    }
}

/// The spread table (`seeds.md`): per design and CPU count, mean and range over the seeds
/// of the three outcomes the answers rest on.
fn seed_table() {
    let text = std::fs::read_to_string(data_dir().join("seeds.csv"))
        .expect("seeds.csv: run the seeds mode");
    // Drop the seed column: the rest has the columns of `tables()`.
    let rows: Vec<Row> = text
        .lines()
        .skip(1)
        .map(|l| Row(l.split(',').skip(1).map(str::to_string).collect()))
        .collect();
    let mut out = format!(
        "### Spread over seeds {SEEDS:?} (shuttle random, no pins; 600 executions per seed at 2/4 CPUs, 200 at 8/16)\n\n| design | CPUs | oldest ticket got all VRAM | failed migrations from temporary references / exec | CPU faults left pinned (SIGBUS under sigbus-on-failure) / exec | failures |\n|---|---|---|---|---|---|\n"
    );
    for cpus in CPUS {
        for d in SvmDesign::ALL {
            let cell: Vec<&Row> = rows
                .iter()
                .filter(|r| r.s(0) == d.name() && r.n(1) as usize == cpus)
                .collect();
            if cell.is_empty() {
                continue;
            }
            let failures = cell.iter().filter(|r| !r.s(18).is_empty()).count();
            let _ = writeln!(
                out,
                "| {} | {cpus} | {} | {} | {} | {failures}/{} |",
                d.name(),
                spread(&cell, |r| r.per_exec(4), true),
                spread(&cell, |r| r.per_exec(8), false),
                spread(&cell, |r| r.per_exec(11), false),
                cell.len()
            );
        }
    }
    std::fs::write(data_dir().join("seeds.md"), &out).expect("write seeds.md");
    print!("{out}");
}

// ------------------------------------------------------------------------ tables

struct Row(Vec<String>);

impl Row {
    fn s(&self, i: usize) -> &str {
        &self.0[i]
    }
    fn n(&self, i: usize) -> f64 {
        self.0[i].parse().unwrap_or(0.0)
    }
    fn per_exec(&self, i: usize) -> f64 {
        self.n(i) / self.n(3).max(1.0)
    }
}

fn read_csv(p: &Path) -> Vec<Row> {
    let s = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    s.lines()
        .skip(1)
        .map(|l| Row(l.split(',').map(str::to_string).collect()))
        .collect()
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

/// Columns: 0 design 1 cpus 2 pins 3 executions 4 oldest_ok 5 to_vram 6 to_ram 7 undone
/// 8 ref_failures 9 gpu_faults 10 passes 11 sigbus 12 stalls 13 fallbacks 14 steps
/// 15 reclaimed 16 validate_ns 17 fault_ns 18 failure.
fn tables() {
    let rows = read_csv(&data_dir().join("shuttle.csv"));
    let th = data_dir().join("threads.csv");
    let threads = th.exists().then(|| read_csv(&th));
    let pick = |designs: &[&str], r: &Row| designs.contains(&r.s(0));
    let mut out = String::new();
    let fail = |r: &Row| {
        if r.s(18).is_empty() {
            String::new()
        } else {
            format!(" FAILED: {}", r.s(18))
        }
    };
    let _ = writeln!(
        out,
        "### Q1: split or unified LRU\n\n| design | CPUs | pins | executions | oldest ticket got all VRAM | migrations undone per SVM page | pages to VRAM / exec | model steps per reclaimed VRAM page |\n|---|---|---|---|---|---|---|---|"
    );
    for r in rows
        .iter()
        .filter(|r| pick(&["unified-lru", "split-lru"], r))
    {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3} | {:.4} | {:.2} | {:.0} |{}",
            r.s(0),
            r.s(1),
            r.s(2),
            r.s(3),
            ratio(r.n(4), r.n(3)),
            ratio(r.n(7), r.n(3) * 6.0),
            r.per_exec(5),
            ratio(r.n(14), r.n(15)),
            fail(r)
        );
    }
    let _ = writeln!(
        out,
        "\n### Q2: isolate or stay on the LRU\n\n| design | CPUs | pins | executions | oldest ticket got all VRAM | failed migrations from temporary references / exec | model steps per reclaimed VRAM page |\n|---|---|---|---|---|---|---|"
    );
    for r in rows
        .iter()
        .filter(|r| pick(&["unified-lru", "isolate-on-acquire"], r))
    {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.0} |{}",
            r.s(0),
            r.s(1),
            r.s(2),
            r.s(3),
            ratio(r.n(4), r.n(3)),
            r.per_exec(8),
            ratio(r.n(14), r.n(15)),
            fail(r)
        );
    }
    let _ = writeln!(
        out,
        "\n### Q3: exhaustive eviction or watermarks for faults\n\n| design | CPUs | pins | executions | GPU faults | retries per GPU fault until progress | allocator stalls / exec | stalls that fell back to system memory / exec | oldest ticket got all VRAM |\n|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows
        .iter()
        .filter(|r| pick(&["unified-lru", "split-lru", "watermark-trylock"], r))
    {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |{}",
            r.s(0),
            r.s(1),
            r.s(2),
            r.s(3),
            r.s(9),
            ratio(r.n(10) - r.n(9), r.n(9)),
            r.per_exec(12),
            r.per_exec(13),
            ratio(r.n(4), r.n(3)),
            fail(r)
        );
    }
    let _ = writeln!(
        out,
        "\n### Q4: what to do when migration cannot complete\n\n| design | CPUs | pins | executions | CPU faults left with the page pinned (SIGBUS in sigbus-on-failure) / exec | share of executions with one (upper bound) | failed migrations from temporary references / exec |\n|---|---|---|---|---|---|---|"
    );
    for r in rows.iter().filter(|r| {
        pick(
            &["unified-lru", "sigbus-on-failure", "amd-migrate-mutex"],
            r,
        )
    }) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.4} | {:.3} | {:.3} |{}",
            r.s(0),
            r.s(1),
            r.s(2),
            r.s(3),
            r.per_exec(11),
            ratio(r.n(11), r.n(3)).min(1.0),
            r.per_exec(8),
            fail(r)
        );
    }
    if let Some(th) = threads {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let _ = writeln!(
            out,
            "\n### Real threads: oldest ticket's validate and GPU fault wall time (lock waits included; {cores} cores), and the time CPUs spent blocked on locks\n\n| design | threads | executions | oldest ticket got all VRAM | µs per oldest-ticket validate | µs per GPU fault | µs blocked on locks per execution (all CPUs) |\n|---|---|---|---|---|---|---|"
        );
        for r in &th {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.3} | {:.1} | {:.1} | {} |{}",
                r.s(0),
                r.s(1),
                r.s(3),
                ratio(r.n(4), r.n(3)),
                r.n(16) / 1000.0 / r.n(3).max(1.0),
                ratio(r.n(17) / 1000.0, r.n(9)),
                // Column 19 is absent from runs before it was measured.
                r.0.get(19).map_or("—".to_string(), |_| format!(
                    "{:.1}",
                    r.n(19) / 1000.0 / r.n(3).max(1.0)
                )),
                fail(r)
            );
        }
    }
    std::fs::write(data_dir().join("tables.md"), &out).expect("write tables.md");
    print!("{out}");
}

// ------------------------------------------------------------------------ plots

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
];

/// One line per design (pins as given): x = CPUs (log2), y = `f(row)`.
fn line_plot(rows: &[Row], pins: &str, f: impl Fn(&Row) -> f64, title: &str, yl: &str, out: &Path) {
    let series: Vec<(SvmDesign, Vec<(f64, f64)>)> = SvmDesign::ALL
        .iter()
        .map(|d| {
            let pts = rows
                .iter()
                .filter(|r| r.s(0) == d.name() && r.s(2) == pins)
                .map(|r| (r.n(1).log2(), f(r)))
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
    let root = SVGBackend::new(out, (760, 460)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.8f64..4.2, 0.0f64..ymax)
        .unwrap();
    chart
        .configure_mesh()
        .x_desc("simulated CPUs")
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
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .unwrap();
    root.present().unwrap();
}

fn mode_plot() {
    let rows = read_csv(&data_dir().join("shuttle.csv"));
    let img = img_dir();
    line_plot(
        &rows,
        "0",
        |r| ratio(r.n(4), r.n(3)),
        "Share of executions in which the oldest ticket gets all of VRAM (shuttle)",
        "share",
        &img.join("svm-designs-oldest-ticket.svg"),
    );
    line_plot(
        &rows,
        "1",
        |r| r.per_exec(8),
        "Failed page migrations from temporary references per execution (pins on)",
        "failed migrations / execution",
        &img.join("svm-designs-ref-failures.svg"),
    );
    line_plot(
        &rows,
        "0",
        |r| ratio(r.n(14), r.n(15)),
        "Model steps per reclaimed VRAM page (shuttle)",
        "steps / page",
        &img.join("svm-designs-steps-per-page.svg"),
    );
    line_plot(
        &rows,
        "0",
        |r| ratio(r.n(10) - r.n(9), r.n(9)),
        "GPU fault retries until progress (shuttle)",
        "retries / GPU fault",
        &img.join("svm-designs-gpu-retries.svg"),
    );
    println!("plots written to {}", img.display());
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("shuttle") if cfg!(all(feature = "shuttle", not(loom))) => {
            mode(
                EngineKind::Shuttle,
                "shuttle.csv",
                |c| match c {
                    2 | 4 => 3000,
                    8 => 1000,
                    _ => 500,
                },
                Duration::from_secs(20),
                &[false, true],
            );
            tables();
        }
        Some("threads") if cfg!(not(any(loom, feature = "shuttle"))) => mode(
            EngineKind::Threads,
            "threads.csv",
            |_| usize::MAX,
            Duration::from_millis(1500),
            &[false],
        ),
        Some("seeds") if cfg!(all(feature = "shuttle", not(loom))) => seeds_mode(),
        Some("tables") => tables(),
        Some("plot") => mode_plot(),
        other => {
            eprintln!(
                "usage: cargo bench --bench svm_designs -- shuttle | seeds | tables | plot\n       cargo bench --no-default-features --bench svm_designs -- threads\n(got {other:?})"
            );
            std::process::exit(2);
        }
    }
}
