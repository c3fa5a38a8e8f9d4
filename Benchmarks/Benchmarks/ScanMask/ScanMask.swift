import Benchmark
import BenchmarkSupport
import Codecs

/// Scan+mask throughput of the combined sensitive-data scanner on 1 MiB of mixed text.
///
/// One iteration masks a fresh copy of the same 1 MiB (a memcpy into a buffer allocated
/// once, outside the measured loop), so every iteration does the same work; the
/// scan-only benchmark reports spans into a preallocated buffer. Gated in CI on
/// `mallocCountTotal` (must be 0 at p90); throughput is reported, never gated.
let benchmarks: @Sendable () -> Void = {
    let size = 1 << 20
    let source = MixedText.make(size: size)
    let scanner = MixedText.scanner()
    nonisolated(unsafe) let work = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    nonisolated(unsafe) let spans = UnsafeMutableBufferPointer<SensitiveSpan>.allocate(capacity: 8192)

    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .instructions, .mallocCountTotal],
        timeUnits: .microseconds,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 2_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
    )

    Benchmark("ScanMask1MiB", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            source.withUnsafeBytes { work.copyMemory(from: $0) }
            blackHole(scanner.maskInPlaceCountingFindings(work))
        }
    }

    Benchmark("ScanOnly1MiB", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(source.withUnsafeBytes { scanner.scan($0, into: spans) })
        }
    }
}
