//! The STFT of a signal that arrives in chunks: [`StftStream`] gives exactly the frames of
//! [`Stft::for_each_frame`] on the concatenated chunks, bit for bit, while holding only about
//! one frame of samples (plus the first `2·n_fft` samples, which a very short signal's
//! reflections may need).
//!
//! A frame is computed as soon as its last sample has arrived. Centred frames at the start
//! need the signal reflected about its first sample: `x[−k] = x[k]`, which holds for any final
//! length `len ≥ k + 2`, so frames are only emitted once `n_fft + 2` samples have arrived.
//! The frames that reach past the end are computed by [`StftStream::finish`], when the length
//! is known; their reflections about the last sample fall within the last `n_fft` samples,
//! which are always kept.
//!
//! # References
//! - J. B. Allen, "Short term spectral analysis, synthesis, and modification by discrete
//!   Fourier transform", IEEE Trans. ASSP 25(3), 1977 (overlap of successive frames).

use realfft::num_complex::Complex32;

use super::stft::{PadMode, Stft, reflect_index};
use crate::simd;

/// Samples kept from the start of the signal, in units of `n_fft`: a signal no longer than
/// this is always whole in memory, so reflections that wrap around it can be served.
const HEAD_FFTS: usize = 2;

/// Samples that must have arrived, beyond `n_fft`, before the first frame is emitted (see the
/// module docs: the left reflection `x[−k] = x[k]` needs `len ≥ k + 2`).
const LEFT_REFLECTION_MARGIN: usize = 2;

/// The frames of a chunked signal (see the module docs).
#[derive(Clone)]
pub struct StftStream {
    stft: Stft,
    /// The first `HEAD_FFTS · n_fft` samples.
    head: Vec<f32>,
    head_len: usize,
    /// The samples from absolute index `buf_start` on.
    buf: Vec<f32>,
    buf_start: usize,
    /// Samples received.
    total: usize,
    /// The next frame to emit.
    next: usize,
    /// The windowed frame.
    windowed: Vec<f32>,
    fft_in: Vec<f32>,
    spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl std::fmt::Debug for StftStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StftStream")
            .field("config", self.stft.config())
            .field("total", &self.total)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl StftStream {
    /// A stream over the planned transform `stft`.
    pub fn new(stft: Stft) -> Self {
        let n_fft = stft.config().n_fft;
        let (fft_in, spectrum, scratch) = stft.buffers();
        Self {
            head: Vec::with_capacity(HEAD_FFTS * n_fft),
            head_len: HEAD_FFTS * n_fft,
            buf: Vec::new(),
            buf_start: 0,
            total: 0,
            next: 0,
            windowed: vec![0.0; n_fft],
            fft_in,
            spectrum,
            scratch,
            stft,
        }
    }

    /// The planned transform.
    pub fn stft(&self) -> &Stft {
        &self.stft
    }

    /// Samples received so far.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether no sample has arrived.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Frames emitted so far.
    pub fn frames_emitted(&self) -> usize {
        self.next
    }

    /// Appends `samples` and calls `f(t, X[t, ..])` for every frame now complete, in order
    /// (the `n_fft/2+1` complex bins, as [`Stft::for_each_frame`]).
    pub fn push(&mut self, samples: &[f32], mut f: impl FnMut(usize, &[Complex32])) {
        self.push_strided(samples, 1, |t, _, x| {
            if let Some(x) = x {
                f(t, x);
            }
        });
    }

    /// Like [`StftStream::push`], for every frame `t` with its windowed samples and, when `t`
    /// is a multiple of `stride`, its spectrum (as [`Stft::for_each_frame_strided`]).
    pub fn push_strided(
        &mut self,
        samples: &[f32],
        stride: usize,
        mut f: impl FnMut(usize, &[f32], Option<&[Complex32]>),
    ) {
        if samples.is_empty() {
            return;
        }
        if self.head.len() < self.head_len {
            let take = (self.head_len - self.head.len()).min(samples.len());
            self.head.extend_from_slice(&samples[..take]);
        }
        self.buf.extend_from_slice(samples);
        self.total += samples.len();
        let n_fft = self.stft.config().n_fft;
        if self.total < n_fft + LEFT_REFLECTION_MARGIN {
            return;
        }
        while self.frame_start(self.next) + n_fft as isize <= self.total as isize {
            self.emit(self.next, stride, &mut f);
            self.next += 1;
        }
        self.forget_old_samples();
    }

    /// Ends the signal: calls `f` for the frames not emitted yet (those reaching past the end,
    /// padded as configured). The stream is left empty, ready for another signal.
    pub fn finish(&mut self, mut f: impl FnMut(usize, &[Complex32])) {
        self.finish_strided(1, |t, _, x| {
            if let Some(x) = x {
                f(t, x);
            }
        });
    }

    /// [`StftStream::finish`] for [`StftStream::push_strided`].
    pub fn finish_strided(&mut self, stride: usize, mut f: impl FnMut(usize, &[f32], Option<&[Complex32]>)) {
        let n_frames = self.stft.config().n_frames(self.total);
        while self.next < n_frames {
            self.emit(self.next, stride, &mut f);
            self.next += 1;
        }
        self.head.clear();
        self.buf.clear();
        self.buf_start = 0;
        self.total = 0;
        self.next = 0;
    }

    /// First sample of frame `t` (negative for centred frames at the start).
    fn frame_start(&self, t: usize) -> isize {
        let cfg = self.stft.config();
        let pad = if cfg.center { cfg.n_fft / 2 } else { 0 };
        (t * cfg.hop_length) as isize - pad as isize
    }

    /// Drops the samples no later frame can read: those before the next frame's start and
    /// before the last `n_fft` (the end's reflections). Amortised: only once the dead part is
    /// at least as long as the live one.
    fn forget_old_samples(&mut self) {
        let n_fft = self.stft.config().n_fft;
        let next_start = self.frame_start(self.next).max(0) as usize;
        let keep_from = next_start.min(self.total.saturating_sub(n_fft));
        let dead = keep_from.saturating_sub(self.buf_start);
        if dead >= n_fft && dead >= self.buf.len() - dead {
            self.buf.drain(..dead);
            self.buf_start = keep_from;
        }
    }

    /// Sample `i` of the signal (`i < total`; never one that was dropped).
    fn sample(&self, i: usize) -> f32 {
        if i < self.head.len() { self.head[i] } else { self.buf[i - self.buf_start] }
    }

    /// Copies frame `t` (padded as configured, reflecting about the samples received so far)
    /// into `self.windowed`, applies the window and calls `f`.
    fn emit(&mut self, t: usize, stride: usize, f: &mut impl FnMut(usize, &[f32], Option<&[Complex32]>)) {
        let cfg = self.stft.config();
        let n_fft = cfg.n_fft;
        let start = self.frame_start(t);
        let len = self.total as isize;
        if start >= self.buf_start as isize && start + n_fft as isize <= len {
            let a = start as usize - self.buf_start;
            // Copied and windowed in one pass.
            simd::mul_into(&self.buf[a..a + n_fft], self.stft.window(), &mut self.windowed);
        } else {
            for i in 0..n_fft {
                let idx = start + i as isize;
                let v = if (0..len).contains(&idx) {
                    self.sample(idx as usize)
                } else {
                    match cfg.pad_mode {
                        PadMode::Constant => 0.0,
                        PadMode::Reflect => self.sample(reflect_index(idx, self.total)),
                    }
                };
                self.windowed[i] = v;
            }
            simd::mul_in_place(&mut self.windowed, self.stft.window());
        }
        if !t.is_multiple_of(stride.max(1)) {
            f(t, &self.windowed, None);
            return;
        }
        self.fft_in.copy_from_slice(&self.windowed);
        self.stft.transform(&mut self.fft_in, &mut self.spectrum, &mut self.scratch);
        f(t, &self.windowed, Some(&self.spectrum));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::StftConfig;
    use crate::spectral::stft::tests::lcg_signal as lcg;

    /// Frames of the whole signal, flattened.
    fn whole(stft: &Stft, y: &[f32]) -> Vec<(usize, Vec<Complex32>)> {
        let mut out = Vec::new();
        stft.for_each_frame(y, |t, x| out.push((t, x.to_vec())));
        out
    }

    fn streamed(stft: &Stft, y: &[f32], chunk: usize) -> Vec<(usize, Vec<Complex32>)> {
        let mut out = Vec::new();
        let mut s = StftStream::new(stft.clone());
        for c in y.chunks(chunk.max(1)) {
            s.push(c, |t, x| out.push((t, x.to_vec())));
        }
        s.finish(|t, x| out.push((t, x.to_vec())));
        out
    }

    #[test]
    fn chunked_frames_equal_the_whole_signal_bit_for_bit() {
        let configs = [
            StftConfig::new(16, 4),
            StftConfig { pad_mode: PadMode::Reflect, ..StftConfig::new(16, 4) },
            StftConfig { pad_mode: PadMode::Reflect, ..StftConfig::new(32, 32) },
            StftConfig { center: false, ..StftConfig::new(16, 5) },
            StftConfig { pad_mode: PadMode::Reflect, win_length: Some(11), ..StftConfig::new(16, 7) },
        ];
        for cfg in configs {
            let stft = Stft::new(cfg.clone()).unwrap();
            for len in [0usize, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 33, 34, 35, 64, 65, 100, 257, 1000] {
                let y = lcg(len, len as u64 + 1);
                let reference = whole(&stft, &y);
                for chunk in [1usize, 2, 3, 5, 16, 17, 64, 1001] {
                    assert_eq!(streamed(&stft, &y, chunk), reference, "{cfg:?} len {len} chunk {chunk}");
                }
            }
        }
    }

    #[test]
    fn strided_frames_equal_the_whole_signal_and_memory_stays_bounded() {
        let stft = Stft::new(StftConfig { pad_mode: PadMode::Reflect, ..StftConfig::new(64, 16) }).unwrap();
        let y = lcg(20_000, 7);
        let mut reference = Vec::new();
        stft.for_each_frame_strided(&y, 3, |t, w, x| reference.push((t, w.to_vec(), x.map(<[_]>::to_vec))));
        let mut got = Vec::new();
        let mut s = StftStream::new(stft.clone());
        let mut max_buf = 0;
        for c in y.chunks(333) {
            s.push_strided(c, 3, |t, w, x| got.push((t, w.to_vec(), x.map(<[_]>::to_vec))));
            max_buf = max_buf.max(s.buf.len());
        }
        s.finish_strided(3, |t, w, x| got.push((t, w.to_vec(), x.map(<[_]>::to_vec))));
        assert_eq!(got, reference);
        // A few chunks and frames, never the signal.
        assert!(max_buf <= 4 * (333 + 64), "buffer grew to {max_buf}");
        // The stream is ready for another signal.
        assert!(s.is_empty() && s.frames_emitted() == 0);
        assert_eq!(streamed(&stft, &y[..500], 50), whole(&stft, &y[..500]));
    }
}
