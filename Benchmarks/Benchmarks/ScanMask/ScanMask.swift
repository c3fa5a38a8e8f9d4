import Benchmark
import BenchmarkSupport
import Codecs

/// Scan+mask throughput of the combined sensitive-data scanner on 1 MiB of mixed text.
///
/// One sample masks a fresh copy of the same 1 MiB, so every sample does the same work. The
/// copy (a memcpy into a buffer allocated once) restores the text the previous sample masked;
/// it is harness work, not the gateway's (which masks in place in the buffer it received), so
/// it runs before `startMeasurement()`, outside the sample (one iteration per sample:
/// `scalingFactor: .one`). The scan-only benchmark reports spans into a preallocated buffer.
/// `ScanMask1MiB` uses dense mixed text (logs, JSON, ids, ~one finding per 400 bytes);
/// `ScanMaskProse1MiB` mostly prose with rare findings. Throughput unit: 1 MiB per op.
/// Metrics: no `.instructions` — on machines without hardware counters it makes the
/// harness itself allocate (18 mallocs per sample seen here), which breaks the gate. Gated in CI on
/// `mallocCountTotal` (must be 0 at p90); throughput is reported, never gated.
let benchmarks: @Sendable () -> Void = {
    controlBenchmarks()
    let size = 1 << 20
    let source = MixedText.make(size: size)
    let prose = MixedText.prose(size: size)
    let scanner = MixedText.scanner()
    nonisolated(unsafe) let work = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    nonisolated(unsafe) let spans = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 8192)

    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 2_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
    )

    Benchmark("ScanMask1MiB", configuration: configuration) { benchmark in
        source.withUnsafeBytes { work.copyMemory(from: $0) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(scanner.maskInPlaceCountingFindings(work))
        }
    }

    Benchmark("ScanMaskProse1MiB", configuration: configuration) { benchmark in
        prose.withUnsafeBytes { work.copyMemory(from: $0) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(scanner.maskInPlaceCountingFindings(work))
        }
    }

    Benchmark("ScanOnly1MiB", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(source.withUnsafeBytes { scanner.scan($0, into: spans) })
        }
    }
}
