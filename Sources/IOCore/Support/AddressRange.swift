import Glibc

/// A network in CIDR notation (`10.0.0.0/8`, `::1/128`; a bare address is a single host).
/// IPv4 networks also match IPv4-mapped IPv6 peers (`::ffff:10.1.2.3`).
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The network's address bytes (4 or 16) and prefix length.
    let bytes: [UInt8]
    public let prefixLength: Int

    /// The loopback networks, `127.0.0.0/8` and `::1/128`.
    public static let loopback: [AddressRange] = [
        try! AddressRange(parsing: "127.0.0.0/8"), try! AddressRange(parsing: "::1/128"),
    ]

    public init(parsing text: String) throws(SocketAddressError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let host = String(parts[0])
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            bytes = withUnsafeBytes(of: v4) { Array($0) }
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { Array($0) }
        } else {
            throw SocketAddressError.invalidAddress(text)
        }
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...(bytes.count * 8)).contains(length) else {
                throw SocketAddressError.invalidAddress(text)
            }
            prefixLength = length
        } else {
            prefixLength = bytes.count * 8
        }
    }

    /// Whether `address` lies in this network.
    public func contains(_ address: SocketAddress) -> Bool {
        guard var peer = address.addressBytes else { return false }
        if bytes.count == 4, peer.count == 16, peer.prefix(10).allSatisfy({ $0 == 0 }), peer[10] == 0xFF, peer[11] == 0xFF {
            peer = Array(peer.suffix(4))
        }
        guard peer.count == bytes.count else { return false }
        var remaining = prefixLength
        for index in 0..<bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if peer[index] & mask != bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        bytes.withUnsafeBytes { raw in
            _ = inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, raw.baseAddress, &text, socklen_t(text.count))
        }
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(address)/\(prefixLength)"
    }
}

extension SocketAddress {
    /// The raw IP address: 4 bytes (IPv4) or 16 (IPv6); nil for other families.
    public var addressBytes: [UInt8]? {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                return withUnsafeBytes(of: raw.load(as: sockaddr_in6.self).sin6_addr) { Array($0) }
            }
            if family == AF_INET {
                return withUnsafeBytes(of: raw.load(as: sockaddr_in.self).sin_addr) { Array($0) }
            }
            return nil
        }
    }
}
