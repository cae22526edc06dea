//! Value generators: the running state behind `generator = { kind = ... }`.

use std::sync::Arc;

use crate::config::GeneratorConfig;
use crate::rng::Rng;

/// A running generator. `sample(t_s)` gives the value at `t_s` simulated seconds after the
/// start; the stateful kinds (random walk, counter, replay) advance one step per sample.
#[derive(Debug, Clone)]
pub(crate) enum Generator {
    Sine {
        amplitude: f64,
        offset: f64,
        omega: f64,
        phase: f64,
        noise: f64,
        rng: Rng,
    },
    RandomWalk {
        value: f64,
        step: f64,
        min: f64,
        max: f64,
        rng: Rng,
    },
    Step {
        values: Arc<[f64]>,
        hold_s: f64,
    },
    Counter {
        start: f64,
        next: f64,
        increment: f64,
        wrap: Option<f64>,
    },
    Constant(f64),
    Replay {
        rows: Arc<[f64]>,
        next: usize,
        repeat: bool,
    },
}

impl Generator {
    /// The generator for `config`, with its own random stream; `replay` holds the rows of
    /// a replay generator (loaded once per file by the caller).
    pub(crate) fn new(config: &GeneratorConfig, rng: Rng, replay: Option<Arc<[f64]>>) -> Self {
        match config {
            GeneratorConfig::Sine {
                amplitude,
                offset,
                period_s,
                phase,
                noise,
            } => Generator::Sine {
                amplitude: *amplitude,
                offset: *offset,
                omega: std::f64::consts::TAU / period_s,
                phase: *phase,
                noise: *noise,
                rng,
            },
            GeneratorConfig::RandomWalk {
                start,
                step,
                min,
                max,
            } => Generator::RandomWalk {
                value: start.clamp(*min, *max),
                step: *step,
                min: *min,
                max: *max,
                rng,
            },
            GeneratorConfig::Step { values, hold_s } => Generator::Step {
                values: values.clone().into(),
                hold_s: *hold_s,
            },
            GeneratorConfig::Counter {
                start,
                increment,
                wrap,
            } => Generator::Counter {
                start: *start,
                next: *start,
                increment: *increment,
                wrap: *wrap,
            },
            GeneratorConfig::Constant { value } => Generator::Constant(*value),
            GeneratorConfig::Replay { repeat, .. } => Generator::Replay {
                rows: replay.unwrap_or_else(|| Arc::from([0.0])),
                next: 0,
                repeat: *repeat,
            },
        }
    }

    /// The next value, at `t_s` simulated seconds.
    pub(crate) fn sample(&mut self, t_s: f64) -> f64 {
        match self {
            Generator::Sine {
                amplitude,
                offset,
                omega,
                phase,
                noise,
                rng,
            } => {
                let jitter = if *noise > 0.0 {
                    *noise * rng.symmetric()
                } else {
                    0.0
                };
                *offset + *amplitude * (*omega * t_s + *phase).sin() + jitter
            }
            Generator::RandomWalk {
                value,
                step,
                min,
                max,
                rng,
            } => {
                *value = (*value + *step * rng.symmetric()).clamp(*min, *max);
                *value
            }
            Generator::Step { values, hold_s } => {
                let i = (t_s.max(0.0) / *hold_s) as usize % values.len().max(1);
                values.get(i).copied().unwrap_or(0.0)
            }
            Generator::Counter {
                start,
                next,
                increment,
                wrap,
            } => {
                let v = *next;
                let after = v + *increment;
                *next = match wrap {
                    Some(w) if after > *w => *start,
                    _ => after,
                };
                v
            }
            Generator::Constant(v) => *v,
            Generator::Replay { rows, next, repeat } => {
                let v = rows.get(*next).or(rows.last()).copied().unwrap_or(0.0);
                *next += 1;
                if *next >= rows.len() && *repeat {
                    *next = 0;
                }
                v
            }
        }
    }

    /// A command wrote `x`: the generator continues from it where that means something
    /// (random walk, counter) and holds it otherwise.
    pub(crate) fn overwrite(&mut self, x: f64) {
        match self {
            Generator::RandomWalk { value, .. } => *value = x,
            Generator::Counter { next, .. } => *next = x,
            other => *other = Generator::Constant(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(c: GeneratorConfig) -> Generator {
        Generator::new(&c, Rng::new(1), None)
    }

    #[test]
    fn sine_step_counter_constant() {
        let mut s = make(GeneratorConfig::Sine {
            amplitude: 2.0,
            offset: 10.0,
            period_s: 4.0,
            phase: 0.0,
            noise: 0.0,
        });
        assert!((s.sample(1.0) - 12.0).abs() < 1e-9);
        assert!((s.sample(3.0) - 8.0).abs() < 1e-9);
        let mut st = make(GeneratorConfig::Step {
            values: vec![1.0, 2.0],
            hold_s: 10.0,
        });
        assert_eq!(
            (st.sample(0.0), st.sample(10.0), st.sample(25.0)),
            (1.0, 2.0, 1.0)
        );
        let mut c = make(GeneratorConfig::Counter {
            start: 0.0,
            increment: 1.0,
            wrap: Some(2.0),
        });
        let v: Vec<f64> = (0..5).map(|_| c.sample(0.0)).collect();
        assert_eq!(v, [0.0, 1.0, 2.0, 0.0, 1.0]);
        let mut k = make(GeneratorConfig::Constant { value: 7.0 });
        assert_eq!(k.sample(9.0), 7.0);
        k.overwrite(3.0);
        assert_eq!(k.sample(9.0), 3.0);
    }

    #[test]
    fn random_walk_stays_in_bounds_and_replay_loops() {
        let mut w = make(GeneratorConfig::RandomWalk {
            start: 0.0,
            step: 5.0,
            min: -1.0,
            max: 1.0,
        });
        for _ in 0..100 {
            assert!((-1.0..=1.0).contains(&w.sample(0.0)));
        }
        let rows: Arc<[f64]> = Arc::from([1.0, 2.0]);
        let config = GeneratorConfig::Replay {
            file: String::new(),
            column: None,
            repeat: true,
        };
        let mut r = Generator::new(&config, Rng::new(0), Some(rows.clone()));
        let v: Vec<f64> = (0..3).map(|_| r.sample(0.0)).collect();
        assert_eq!(v, [1.0, 2.0, 1.0]);
        let hold = GeneratorConfig::Replay {
            file: String::new(),
            column: None,
            repeat: false,
        };
        let mut h = Generator::new(&hold, Rng::new(0), Some(rows));
        let v: Vec<f64> = (0..3).map(|_| h.sample(0.0)).collect();
        assert_eq!(v, [1.0, 2.0, 2.0]);
    }
}
