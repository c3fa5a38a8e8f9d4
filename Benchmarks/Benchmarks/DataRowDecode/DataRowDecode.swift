import Benchmark
import BenchmarkSupport

/// PostgreSQL DataRow stream decoding (and decoding + masking) in 64 KiB receive buffers.
///
/// One iteration processes the whole stream of `DataRowStream`: 1,048,660 bytes, 5,852
/// rows of ~179 bytes, six columns, in 17 receive buffers of 64 KiB (the rows crossing a
/// buffer edge are reassembled). Throughput (# / s) is streams per second: multiply by
/// 1,048,660 for bytes/s and by 5,852 for rows/s (the setup checks the row count).
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
    precondition(stream.rowCount == 5_852 && stream.byteCount == 1_048_660, "update the doc comment and README")
    precondition(stream.decode() == stream.rowCount)
    precondition(stream.decodeAndMask() > 0)
    // The masking really ran: the first row's e-mail is redacted (keep last 4).
    let firstRow = String(decoding: stream.firstMaskedRow, as: UTF8.self)
    precondition(!firstRow.contains("customer0@") && firstRow.contains("*.com"), "the rows were not masked")

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
