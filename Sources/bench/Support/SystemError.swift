#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, named, with its `errno` spelled out.
struct SystemError: Error, CustomStringConvertible {
    let call: String
    let code: Int32

    /// Captures the current `errno` for `call`.
    init(_ call: String, errno code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    var description: String {
        "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// A benchmark that cannot go on, with a message for the person running it.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
