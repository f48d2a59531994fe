//! Synthetic test signals shared by the core's integration tests through `#[path]`.

/// Uniform white noise in `[-amp/2, amp/2)` from a xorshift32 generator seeded with `seed`.
pub fn xorshift_noise(n: usize, amp: f32, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            amp * (s as f32 / u32::MAX as f32 - 0.5)
        })
        .collect()
}

/// Beats per minute, kick and snare pitches (Hz) and decay rates (1/s) of [`drum_machine`].
const DRUM_BPM: f32 = 120.0;
const KICK_HZ: f32 = 50.0;
const KICK_SWEEP_HZ: f32 = 60.0;
const KICK_DECAY: f32 = 3.0;
const KICK_SWEEP_RATE: f32 = 30.0;
const SNARE_MODES_HZ: [f32; 2] = [185.0, 330.0];
const SNARE_TONE_DECAY: f32 = 20.0;
const SNARE_NOISE_DECAY: f32 = 15.0;
const HAT_DECAY: f32 = 60.0;

/// A drum-machine groove with pitched drums and nothing else: an 808-style kick (a sine
/// falling from 110 to 50 Hz, ringing for a second) on beats 1 and 3, a snare with two
/// tuned body modes and a noise burst on 2 and 4, closed hi-hats on the off-beats.
pub fn drum_machine(seconds: f32, sr: u32) -> Vec<f32> {
    let n = (seconds * sr as f32) as usize;
    let beat = (60.0 / DRUM_BPM * sr as f32) as usize;
    let noise = xorshift_noise(n, 2.0, 99);
    let mut y = vec![0.0f32; n];
    let tau = std::f32::consts::TAU;
    for (k, start) in (0..n).step_by(beat).enumerate() {
        for i in 0..(n - start).min(2 * beat) {
            let u = i as f32 / sr as f32;
            let v = if k % 2 == 0 {
                let phase = KICK_HZ * u + KICK_SWEEP_HZ * (1.0 - (-u * KICK_SWEEP_RATE).exp()) / KICK_SWEEP_RATE;
                0.9 * (-u * KICK_DECAY).exp() * (tau * phase).sin()
            } else {
                let body: f32 = SNARE_MODES_HZ.iter().map(|f| (tau * f * u).sin()).sum();
                0.25 * (-u * SNARE_TONE_DECAY).exp() * body + 0.4 * (-u * SNARE_NOISE_DECAY).exp() * noise[start + i]
            };
            y[start + i] += v;
            if let Some(h) = y.get_mut(start + beat / 2 + i) {
                *h += 0.15 * (-u * HAT_DECAY).exp() * noise[(start + i + beat / 2) % n];
            }
        }
    }
    y
}
