import Benchmark
import BenchmarkSupport

/// PostgreSQL DataRow stream decoding (and decoding + masking) in 64 KiB receive buffers.
///
/// One iteration processes the whole ~1 MiB stream of `DataRowStream` (about 5,500 rows of
/// ~190 bytes, six columns; rows crossing a buffer edge are reassembled). Throughput
/// (# / s) is streams per second: multiply by the stream's bytes or rows (printed in
/// Benchmarks/README.md) for bytes/s and rows/s.
///
/// - `DecodeRows1MiB`: `PostgresFrameDecoder` only (the pass-through path).
/// - `DecodeMaskRows1MiB`: decoder + `DataRowMasker` with a plan of two `.redact` columns
///   (varchar keep-last-4, jsonb) and two `.scan` columns run through the full
///   `SensitiveDataScanner`; includes a 1 MiB memcpy per iteration that restores the
///   pristine stream (masking rewrites it in place).
///
/// Gated in CI on `mallocCountTotal` (0 at p90).
let benchmarks: @Sendable () -> Void = {
    let stream = DataRowStream()
    // Warm-up: grows the decoder's reassembly buffer once, outside every measurement.
    precondition(stream.decode() == stream.rowCount)
    precondition(stream.decodeAndMask() > 0)

    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 2_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
    )

    Benchmark("DecodeRows1MiB", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(stream.decode())
        }
    }

    Benchmark("DecodeMaskRows1MiB", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(stream.decodeAndMask())
        }
    }
}
