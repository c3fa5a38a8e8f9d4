import Glibc

/// A deterministic pseudo-random payload, built quickly even in debug builds.
func makePayload(_ size: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        var index = 0
        while index + 8 <= size {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            UnsafeMutableRawPointer(buffer.baseAddress! + index).storeBytes(of: state, as: UInt64.self)
            index += 8
        }
        while index < size {
            buffer[index] = UInt8(truncatingIfNeeded: index)
            index += 1
        }
        count = size
    }
}

/// Byte-wise equality through memcmp (Array == is slow in debug builds).
func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, a.count) == 0 } }
}
