import Glibc

/// Writes `line` and a newline to standard error, unbuffered, retrying short writes.
func printError(_ line: String) {
    var output = line
    output.append("\n")
    var bytes = Array(output.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { raw in
            write(STDERR_FILENO, raw.baseAddress.map { $0 + offset }, raw.count - offset)
        }
        if written < 0, errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
}
