//! Analyse raw PCM as it arrives on standard input, without a temporary file: the shape of a
//! service that receives audio over a socket. Reads interleaved signed 16-bit little-endian
//! samples in chunks and pushes them into an [`AnalysisStream`].
//!
//! ```sh
//! ffmpeg -loglevel error -i song.mp3 -f s16le -ac 2 -ar 44100 - \
//!   | cargo run --release -p analyzer-core --example stream -- 44100 2
//! ```

use std::io::Read;
use std::process::ExitCode;

use analyzer_core::analysis::{AnalysisConfig, AnalysisStream, Analyzer};

/// Bytes read from stdin per push (~46 ms of 44.1 kHz stereo).
const CHUNK_BYTES: usize = 16 * 1024;
/// Full scale of signed 16-bit samples.
const I16_SCALE: f32 = 32768.0;

fn run(sr: u32, channels: usize) -> Result<(), Box<dyn std::error::Error>> {
    let analyzer = Analyzer::new(AnalysisConfig::default())?;
    let mut stream: AnalysisStream = analyzer.stream(sr, channels)?;
    let mut stdin = std::io::stdin().lock();
    let mut bytes = vec![0u8; CHUNK_BYTES];
    let mut carry: Option<u8> = None; // an odd byte split between reads
    let mut samples = Vec::with_capacity(CHUNK_BYTES / 2);
    loop {
        let n = stdin.read(&mut bytes)?;
        if n == 0 {
            break;
        }
        samples.clear();
        let mut data = &bytes[..n];
        if let Some(lo) = carry.take() {
            samples.push(i16::from_le_bytes([lo, data[0]]) as f32 / I16_SCALE);
            data = &data[1..];
        }
        let mut pairs = data.chunks_exact(2);
        samples.extend(pairs.by_ref().map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / I16_SCALE));
        carry = pairs.remainder().first().copied();
        stream.push(&samples)?;
    }
    eprintln!("received {:.1} s of audio", stream.duration_seconds());
    let a = stream.finish()?;
    let f = &a.features;
    println!("tempo {:.1} BPM (confidence {:.2})", f.tempo, f.tempo_confidence);
    println!("key {} mode {} (confidence {:.2})", f.key, f.mode, f.key_confidence);
    println!("loudness {:.1} dB, energy {:.2}, danceability {:.2}", f.loudness, f.energy, f.danceability);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(sr), Some(channels)) =
        (args.first().and_then(|s| s.parse().ok()), args.get(1).and_then(|s| s.parse().ok()))
    else {
        eprintln!("usage: stream SAMPLE_RATE CHANNELS < interleaved s16le PCM");
        return ExitCode::from(2);
    };
    match run(sr, channels) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
