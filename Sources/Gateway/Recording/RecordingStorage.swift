import Glibc

/// Where the recording writer puts files. Called on the writer thread only.
public protocol RecordingStorage: Sendable {
    /// Creates the new file `name`: a descriptor, or `-errno`.
    func create(name: String) -> Int32
    /// Writes a prefix of `bytes`: the count written (at least 1 when `bytes` is not empty), or `-errno`.
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int
    /// Flushes the file to stable storage and closes it: 0, or the errno of the flush.
    func close(_ descriptor: Int32) -> Int32
}

/// Recording files in one directory: the directory is 0700 and each file is created 0600
/// with `O_EXCL` (an existing file is never appended to or replaced).
public final class RecordingDirectory: RecordingStorage {
    public let path: String

    public struct SetupError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Creates `path` (mode 0700) when it does not exist; refuses a path that is not a directory,
    /// belongs to another user, or is accessible by group or others.
    public init(path: String) throws(SetupError) {
        self.path = path
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw SetupError(description: "cannot create recording directory \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw SetupError(description: "cannot inspect recording directory \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw SetupError(description: "recording directory \(path) is not a directory")
        }
        guard info.st_uid == geteuid() else {
            throw SetupError(description: "recording directory \(path) belongs to another user (uid \(info.st_uid))")
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw SetupError(description: "recording directory \(path) has mode \(mode); recordings need 0700 (chmod 700 \(path))")
        }
    }

    public func create(name: String) -> Int32 {
        let fd = open("\(path)/\(name)", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        return fd >= 0 ? fd : -errno
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        while true {
            let written = Glibc.write(descriptor, bytes.baseAddress, bytes.count)
            if written >= 0 { return written == 0 && !bytes.isEmpty ? -Int(ENOSPC) : written }
            if errno != EINTR { return -Int(errno) }
        }
    }

    public func close(_ descriptor: Int32) -> Int32 {
        let synced = fdatasync(descriptor) == 0 ? 0 : errno
        _ = Glibc.close(descriptor)
        return synced == EINVAL ? 0 : synced
    }
}
