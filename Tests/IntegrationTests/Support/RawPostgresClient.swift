import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Frontend messages, encoded by hand (independent of the codec under test).
enum PostgresWire {
    static func int32(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func int16(_ value: Int16) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func cstring(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [type.asciiValue!] + int32(Int32(body.count + 4)) + body
    }

    static func startup(user: String, database: String, parameters: [(String, String)] = []) -> [UInt8] {
        var body = int32(196_608)
        for (name, value) in [("user", user), ("database", database)] + parameters {
            body += cstring(name) + cstring(value)
        }
        body.append(0)
        return int32(Int32(body.count + 4)) + body
    }

    static func query(_ sql: String) -> [UInt8] { message("Q", cstring(sql)) }
    static func password(_ text: String) -> [UInt8] { message("p", cstring(text)) }
    static func parse(_ name: String = "", _ sql: String) -> [UInt8] {
        message("P", cstring(name) + cstring(sql) + int16(0))
    }
    static func bind(portal: String = "", statement: String = "") -> [UInt8] {
        message("B", cstring(portal) + cstring(statement) + int16(0) + int16(0) + int16(0))
    }
    static func describePortal(_ portal: String = "") -> [UInt8] { message("D", [UInt8(ascii: "P")] + cstring(portal)) }
    static func execute(portal: String = "") -> [UInt8] { message("E", cstring(portal) + int32(0)) }
    static let sync = message("S", [])
    static let flush = message("H", [])
    static let terminate = message("X", [])
    static func cancel(processID: Int32, secretKey: Int32) -> [UInt8] {
        int32(16) + int32(80_877_102) + int32(processID) + int32(secretKey)
    }
    static let sslRequest = int32(8) + int32(80_877_103)
    static let gssEncRequest = int32(8) + int32(80_877_104)
}

/// One backend message.
struct BackendMessage: CustomStringConvertible {
    var type: UInt8
    var body: [UInt8]

    var kind: Character { Character(Unicode.Scalar(type)) }

    /// ErrorResponse / NoticeResponse fields by code (`C` SQLSTATE, `M` message, `S` severity).
    var fields: [Character: String] {
        var out: [Character: String] = [:]
        var index = 0
        while index < body.count, body[index] != 0 {
            let code = Character(Unicode.Scalar(body[index]))
            index += 1
            let start = index
            while index < body.count, body[index] != 0 { index += 1 }
            out[code] = String(decoding: body[start..<index], as: UTF8.self)
            index += 1
        }
        return out
    }

    var sqlstate: String? { fields["C"] }

    func int32(at offset: Int) -> Int32 {
        guard body.count >= offset + 4 else { return -1 }
        return Int32(bitPattern: UInt32(body[offset]) << 24 | UInt32(body[offset + 1]) << 16
                     | UInt32(body[offset + 2]) << 8 | UInt32(body[offset + 3]))
    }

    /// The first column of a DataRow, as text.
    var firstColumn: String? {
        guard type == UInt8(ascii: "D"), body.count >= 6 else { return nil }
        let length = Int(int32(at: 2))
        guard length >= 0, body.count >= 6 + length else { return nil }
        return String(decoding: body[6..<(6 + length)], as: UTF8.self)
    }

    var description: String {
        switch kind {
        case "E", "N": return "\(kind)\(fields)"
        case "R": return "R(\(int32(at: 0)))"
        case "Z": return "Z(\(body.first.map { Character(Unicode.Scalar($0)) } ?? "?"))"
        case "D": return "D(\(firstColumn ?? "?"))"
        case "C": return "C(\(String(decoding: body.prefix(while: { $0 != 0 }), as: UTF8.self)))"
        default: return String(kind)
        }
    }
}

/// A blocking PostgreSQL client over a plain socket, for protocol edge cases that libpq
/// never sends. Every byte received is kept in ``received`` (for secret checks).
final class RawPostgresClient {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let fd: Int32
    private var inbox: [UInt8] = []
    private var readIndex = 0
    private(set) var received: [UInt8] = []
    private var closed = false

    /// - Parameter source: the local address to connect from (`127.0.0.2`, say); nil: the kernel's choice.
    init(host: String = "127.0.0.1", port: Int, source: String? = nil, receiveTimeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                // No close here: the object is initialized, so deinit closes `fd` (closing it
                // twice would close whatever descriptor another thread opened in between).
                let code = errno
                throw Failure(description: "bind \(source) failed: \(String(cString: strerror(code)))")
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = UInt16(port).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            // deinit closes `fd` (see above).
            let code = errno
            throw Failure(description: "connect \(host):\(port) failed: \(String(cString: strerror(code)))")
        }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends everything; false when the peer has gone (EPIPE, ECONNRESET).
    @discardableResult
    func send(_ bytes: [UInt8]) throws -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                continue
            }
            if errno == EINTR { continue }
            if errno == EPIPE || errno == ECONNRESET { return false }
            throw Failure(description: "send failed: \(String(cString: strerror(errno)))")
        }
        return true
    }

    /// Reads one more chunk into the inbox; false at end of stream (or reset).
    private func fill() throws -> Bool {
        if closed { return false }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                if readIndex > 1 << 20 {
                    inbox.removeFirst(readIndex)
                    readIndex = 0
                }
                inbox += chunk[..<n]
                if received.count < 4 << 20 { received += chunk[..<n] }
                return true
            }
            if n == 0 {
                closed = true
                return false
            }
            switch errno {
            case EINTR: continue
            case ECONNRESET:
                closed = true
                return false
            case EAGAIN, EWOULDBLOCK: throw Failure(description: "timed out waiting for the gateway")
            default: throw Failure(description: "recv failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Reads `count` raw bytes (fewer at end of stream); counts only, keeps nothing beyond the secret-check cap.
    func drain(atLeast count: Int) throws -> Int {
        var total = inbox.count - readIndex
        inbox = []
        readIndex = 0
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while total < count {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                total += n
                if received.count < 4 << 20 { received += chunk[..<n] }
                continue
            }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw Failure(description: "timed out after \(total) bytes") }
            break
        }
        return total
    }

    /// One raw byte (the answer to SSLRequest / GSSENCRequest); nil at end of stream.
    func byte() throws -> UInt8? {
        if readIndex == inbox.count, !(try fill()) { return nil }
        defer { readIndex += 1 }
        return inbox[readIndex]
    }

    /// The next backend message; nil when the gateway closed the connection.
    func message() throws -> BackendMessage? {
        while true {
            let available = inbox.count - readIndex
            if available >= 5 {
                let length = Int(UInt32(inbox[readIndex + 1]) << 24 | UInt32(inbox[readIndex + 2]) << 16
                                 | UInt32(inbox[readIndex + 3]) << 8 | UInt32(inbox[readIndex + 4]))
                guard length >= 4, length < 1 << 30 else {
                    throw Failure(description: "malformed backend message length \(length)")
                }
                if available >= 1 + length {
                    let message = BackendMessage(type: inbox[readIndex],
                                                 body: Array(inbox[(readIndex + 5)..<(readIndex + 1 + length)]))
                    readIndex += 1 + length
                    return message
                }
            }
            if !(try fill()) { return nil }
        }
    }

    /// Messages up to and including ReadyForQuery; throws when the connection closes first.
    func untilReady() throws -> [BackendMessage] {
        var messages: [BackendMessage] = []
        while true {
            guard let message = try message() else {
                throw Failure(description: "connection closed before ReadyForQuery after \(messages)")
            }
            messages.append(message)
            if message.kind == "Z" { return messages }
        }
    }

    /// Messages up to ReadyForQuery, or until the connection closes.
    func untilClosedOrReady() throws -> [BackendMessage] {
        var messages: [BackendMessage] = []
        while let message = try message() {
            messages.append(message)
            if message.kind == "Z" { break }
        }
        return messages
    }

    /// Messages until the gateway closes the connection (throws on timeout).
    func untilClosed() throws -> [BackendMessage] {
        var messages: [BackendMessage] = []
        while let message = try message() {
            messages.append(message)
            if messages.count > 10_000 { throw Failure(description: "no close after 10000 messages") }
        }
        return messages
    }

    struct Login {
        var processID: Int32
        var secretKey: Int32
        var messages: [BackendMessage]
        var parameters: [String: String]
    }

    /// The gateway's login: StartupMessage, AuthenticationCleartextPassword, the token as the
    /// password, then up to ReadyForQuery. Throws with the messages seen when refused.
    func login(user: String, database: String = "itdb", token: String,
               parameters: [(String, String)] = []) throws -> Login {
        try send(PostgresWire.startup(user: user, database: database, parameters: parameters))
        guard let first = try message() else { throw Failure(description: "closed after StartupMessage") }
        guard first.kind == "R", first.int32(at: 0) == 3 else {
            throw Failure(description: "expected AuthenticationCleartextPassword, got \(first)")
        }
        try send(PostgresWire.password(token))
        let messages = try untilReady()
        var login = Login(processID: 0, secretKey: 0, messages: messages, parameters: [:])
        for message in messages {
            switch message.kind {
            case "K":
                login.processID = message.int32(at: 0)
                login.secretKey = message.int32(at: 4)
            case "S":
                let parts = message.body.split(separator: 0, omittingEmptySubsequences: false)
                if parts.count >= 2 {
                    login.parameters[String(decoding: parts[0], as: UTF8.self)] = String(decoding: parts[1], as: UTF8.self)
                }
            case "E": throw Failure(description: "login refused: \(messages)")
            default: break
            }
        }
        return login
    }

    /// Sends the startup and the password and returns what came back until the close.
    func failedLogin(user: String, database: String = "itdb", token: String) throws -> [BackendMessage] {
        try send(PostgresWire.startup(user: user, database: database))
        guard let first = try message() else { return [] }
        guard first.kind == "R", first.int32(at: 0) == 3 else { return [first] + (try untilClosed()) }
        try send(PostgresWire.password(token))
        return try untilClosed()
    }
}
