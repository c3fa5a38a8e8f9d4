import CLibURing
import Glibc

/// An IPv4 or IPv6 socket address, stored inline (no allocation) so it can live in
/// connection slots and be handed to the kernel by pointer.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline var storage: sockaddr_storage
    @usableFromInline var length: socklen_t

    /// Wraps raw storage filled in by the kernel (accept, getsockname, getpeername).
    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Parses a numeric IPv4 or IPv6 address (no name resolution).
    public init(ipAddress: String, port: UInt16) throws(SocketAddressError) {
        var storage = sockaddr_storage()
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, ipAddress, &v4) == 1 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = v4
            withUnsafeMutableBytes(of: &storage) { dst in
                withUnsafeBytes(of: sin) { dst.copyMemory(from: $0) }
            }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
        } else if inet_pton(AF_INET6, ipAddress, &v6) == 1 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = v6
            withUnsafeMutableBytes(of: &storage) { dst in
                withUnsafeBytes(of: sin6) { dst.copyMemory(from: $0) }
            }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
        } else {
            throw .invalidAddress(ipAddress)
        }
    }

    /// Parses `HOST:PORT` or `[V6]:PORT`. `HOST` may be a numeric address or a name,
    /// which is resolved once, here (never on the data path).
    public init(parsing text: String) throws(SocketAddressError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text.index(after: close) < text.endIndex,
                  text[text.index(after: close)] == ":"
            else { throw .invalidAddress(text) }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .invalidAddress(text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText), !host.isEmpty else { throw .invalidAddress(text) }
        do {
            try self.init(ipAddress: String(host), port: port)
        } catch {
            self = try Self.resolve(host: String(host), port: port)
        }
    }

    /// Resolves a host name with getaddrinfo, preferring the first TCP result.
    /// True when `text` is an IPv4 or IPv6 address literal (no brackets), not a host name.
    public static func isIPLiteral(_ text: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, text, &storage) == 1 || inet_pton(AF_INET6, text, &storage) == 1
    }

    public static func resolve(host: String, port: UInt16) throws(SocketAddressError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        var rc = getaddrinfo(host, String(port), &hints, &result)
        // Transient failures (the resolver busy, or descriptors briefly exhausted by other work
        // of this process while it reads /etc/hosts) are retried a few times.
        var attempts = 1
        while (rc == EAI_AGAIN || rc == EAI_SYSTEM) && attempts < 5 {
            usleep(UInt32(10_000 * attempts))
            attempts += 1
            rc = getaddrinfo(host, String(port), &hints, &result)
        }
        guard rc == 0, let first = result, let address = first.pointee.ai_addr else {
            if let result { freeaddrinfo(result) }
            throw .unresolvable(host)
        }
        defer { freeaddrinfo(result) }
        var storage = sockaddr_storage()
        let length = first.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(length)))
        }
        return SocketAddress(storage: storage, length: length)
    }

    /// The address family (AF_INET or AF_INET6).
    public var family: Int32 { Int32(storage.ss_family) }

    /// The port in host byte order.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port share offset 2.
            UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self))
        }
    }

    /// Runs `body` with the address as a `sockaddr` pointer and its length.
    @inlinable
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { raw in
            try body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// A loopback address: 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104.
    public var isLoopback: Bool {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                let bytes = raw.load(as: sockaddr_in6.self).sin6_addr
                return withUnsafeBytes(of: bytes) { address in
                    if address.prefix(15).allSatisfy({ $0 == 0 }) && address[15] == 1 { return true }
                    return address.prefix(10).allSatisfy({ $0 == 0 }) && address[10] == 0xFF && address[11] == 0xFF
                        && address[12] == 127
                }
            }
            let sin = raw.load(as: sockaddr_in.self)
            return withUnsafeBytes(of: sin.sin_addr) { $0[0] == 127 }
        }
    }

    /// The address without the port: `a.b.c.d` or `v6`.
    public var hostDescription: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafeBytes(of: storage) { raw -> String in
            if family == AF_INET6 {
                var addr = raw.load(as: sockaddr_in6.self).sin6_addr
                inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
            } else {
                var addr = raw.load(as: sockaddr_in.self).sin_addr
                inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
            }
            return Self.text(buffer)
        }
    }

    /// `a.b.c.d:port` or `[v6]:port`.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafeBytes(of: storage) { raw -> String in
            if family == AF_INET6 {
                let sin6 = raw.load(as: sockaddr_in6.self)
                var addr = sin6.sin6_addr
                inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
                return "[\(Self.text(buffer))]:\(port)"
            }
            let sin = raw.load(as: sockaddr_in.self)
            var addr = sin.sin_addr
            inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
            return "\(Self.text(buffer)):\(port)"
        }
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        guard lhs.length == rhs.length else { return false }
        return withUnsafeBytes(of: lhs.storage) { l in
            withUnsafeBytes(of: rhs.storage) { r in
                memcmp(l.baseAddress!, r.baseAddress!, Int(lhs.length)) == 0
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: storage) { raw in
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[..<Int(length)]))
        }
    }
}

/// Why an address could not be parsed or resolved.
public enum SocketAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidAddress(String)
    case unresolvable(String)

    public var description: String {
        switch self {
        case .invalidAddress(let text): "invalid address '\(text)' (expected HOST:PORT)"
        case .unresolvable(let host): "cannot resolve host '\(host)'"
        }
    }
}
