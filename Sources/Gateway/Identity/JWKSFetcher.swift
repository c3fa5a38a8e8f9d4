public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where a JWKS document comes from. One call returns the document's current bytes.
///
/// Implementations run on the control plane only.
public protocol JWKSFetcher: Sendable {
    /// Reads the current JWKS document.
    func fetchJWKS() async throws(JWKSError) -> [UInt8]
}

/// Reads a JWKS document from a file on every fetch.
public struct FileJWKSFetcher: JWKSFetcher {
    /// The file's path.
    public let path: String

    public init(path: String) { self.path = path }

    public func fetchJWKS() async throws(JWKSError) -> [UInt8] {
        if let problem = TrustFile.problem(path: path, what: "JWKS file") {
            throw JWKSError(problem)
        }
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw JWKSError("cannot read JWKS file \(path)")
        }
        guard data.count <= JWKSKeySet.maximumDocumentSize else {
            throw JWKSError("JWKS file \(path) is larger than \(JWKSKeySet.maximumDocumentSize) bytes")
        }
        return Array(data)
    }
}

/// Fetches a JWKS document over HTTPS with `URLSession`.
///
/// Only `https://` URLs are accepted. For tests and local development, `allowInsecureLoopback`
/// additionally admits `http://` URLs whose host is a loopback address (`127.0.0.1`, `::1`,
/// `localhost`); it never admits plain HTTP to any other host. Redirects are not followed,
/// responses other than 200 are errors, and bodies over ``JWKSKeySet/maximumDocumentSize`` are
/// refused.
public struct HTTPJWKSFetcher: JWKSFetcher {
    /// The JWKS endpoint.
    public let url: URL
    /// Seconds before a fetch is abandoned.
    public let timeoutSeconds: Double

    /// Validates `urlString` and creates a fetcher for it.
    public init(url urlString: String, allowInsecureLoopback: Bool = false, timeoutSeconds: Double = 10) throws(JWKSError) {
        self.url = try Self.validatedURL(urlString, allowInsecureLoopback: allowInsecureLoopback)
        self.timeoutSeconds = timeoutSeconds
    }

    /// Parses `urlString` and applies the scheme rule described on the type.
    public static func validatedURL(_ urlString: String, allowInsecureLoopback: Bool) throws(JWKSError) -> URL {
        guard let components = URLComponents(string: urlString), let url = components.url,
            let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty
        else {
            throw JWKSError("JWKS URL \(urlString) is not a valid absolute URL")
        }
        switch scheme {
        case "https":
            return url
        case "http" where allowInsecureLoopback && isLoopback(host):
            return url
        case "http":
            throw JWKSError("JWKS URL \(urlString) must use https (plain http is only allowed to loopback with allowInsecureLoopback)")
        default:
            throw JWKSError("JWKS URL \(urlString) has unsupported scheme \(scheme)")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    public func fetchJWKS() async throws(JWKSError) -> [UInt8] {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeoutSeconds)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        configuration.timeoutIntervalForResource = timeoutSeconds
        let delegate = RefuseRedirects()
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let outcome: Result<(Data, Int), JWKSError> = await withCheckedContinuation { continuation in
            let task = session.dataTask(with: request) { data, response, error in
                if error != nil {
                    continuation.resume(returning: .failure(JWKSError("fetching JWKS from \(url.absoluteString) failed")))
                    return
                }
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                continuation.resume(returning: .success((data ?? Data(), status)))
            }
            task.resume()
        }
        let (data, status) = try outcome.get()
        guard status == 200 else {
            throw JWKSError("fetching JWKS from \(url.absoluteString) returned HTTP \(status)")
        }
        guard data.count <= JWKSKeySet.maximumDocumentSize else {
            throw JWKSError("JWKS from \(url.absoluteString) is larger than \(JWKSKeySet.maximumDocumentSize) bytes")
        }
        return Array(data)
    }
}

/// Refuses every redirect, so a JWKS URL can never be bounced to plain HTTP or another host.
private final class RefuseRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
