import Foundation
import IOCore
import Logging
import Synchronization

/// The TLS server contexts the listeners offer their clients, built from the configured
/// certificate and key files and rebuilt when those files change: new connections get the
/// new certificate, open sessions keep theirs. A file that does not load keeps the previous
/// context in service (and is tried again when it changes again).
public final class ClientTLSCertificates: Sendable {
    struct Entry: Sendable {
        var resource: String
        var settings: ClientTLSSettings
        var alpn: [String]
        var source: TLSContextSource
    }

    private let entries: [Entry]
    /// The files' identity (device, inode, size, mtime) when each entry was last (re)built or tried.
    private let stamps: Mutex<[[FileStamp]]>
    private let logger: Logger

    struct FileStamp: Equatable, Sendable {
        var device: UInt64 = 0
        var inode: UInt64 = 0
        var size: Int64 = 0
        var modified: Int = 0
        var modifiedNanoseconds: Int = 0
    }

    /// Builds one context per resource that offers TLS, keyed by resource name.
    init(_ requests: [(resource: String, settings: ClientTLSSettings, alpn: [String])], logger: Logger) throws(TLSFailure) {
        var entries: [Entry] = []
        for request in requests {
            let context = try Self.build(request.settings, alpn: request.alpn)
            entries.append(Entry(resource: request.resource, settings: request.settings, alpn: request.alpn, source: TLSContextSource(context)))
        }
        self.entries = entries
        stamps = Mutex(entries.map { Self.stamps($0.settings) })
        self.logger = logger
    }

    /// The context source of `resource`, if it offers TLS.
    func source(for resource: String) -> TLSContextSource? {
        entries.first { $0.resource == resource }?.source
    }

    /// Rebuilds the contexts whose files changed since they were last read. Returns how many
    /// were replaced.
    @discardableResult
    public func reloadChanged() -> Int {
        var replaced = 0
        for (index, entry) in entries.enumerated() {
            let now = Self.stamps(entry.settings)
            let changed = stamps.withLock { stamps in
                defer { stamps[index] = now }
                return stamps[index] != now
            }
            guard changed else { continue }
            do {
                entry.source.replace(with: try Self.build(entry.settings, alpn: entry.alpn))
                replaced += 1
                logger.notice("TLS certificate reloaded", metadata: ["resource": "\(entry.resource)"])
            } catch {
                logger.error(
                    "TLS certificate not reloaded, the previous one stays in use",
                    metadata: ["resource": "\(entry.resource)", "reason": "\(error)"])
            }
        }
        return replaced
    }

    static func build(_ settings: ClientTLSSettings, alpn: [String]) throws(TLSFailure) -> TLSContext {
        guard let certFile = settings.certFile, let keyFile = settings.keyFile else {
            throw TLSFailure("client_tls needs cert_file and key_file (on the resource or in gateway.client_tls)")
        }
        return try TLSContext.server(
            certificateFile: certFile, keyFile: keyFile,
            minimumVersion: TLSVersion(rawValue: settings.minVersion ?? "1.2") ?? .v1_2, alpn: alpn)
    }

    private static func stamps(_ settings: ClientTLSSettings) -> [FileStamp] {
        [settings.certFile, settings.keyFile].map { path in
            var info = stat()
            guard let path, stat(path, &info) == 0 else { return FileStamp() }
            return FileStamp(
                device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                modified: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec)
        }
    }
}
