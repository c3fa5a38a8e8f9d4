import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The control API: its own HTTP listener (Hummingbird, on its own event loops), never on the
/// data path. `/healthz`, `/readyz` and `/metrics` answer anyone who reaches the listener;
/// `/v1/...` needs a bearer token (a gateway token scoped to resource `control`, or an OIDC
/// token) whose identity belongs to an admin (or, for reading, approver) group.
public final class ControlServer: Sendable {
    /// What the API may do, and to whom.
    struct Services: Sendable {
        var settings: ControlSettings
        var authentication: PostgresAuthService
        var groups: @Sendable () -> [GroupSettings]
        var sessions: LiveSessions
        /// Ends a live session and cancels what it was running on the server; false when it
        /// was no longer live.
        var kill: @Sendable (LiveSessions.Entry, String) -> Bool
        var metrics: GatewayMetrics
        /// Approval requests (nil: reviews are refused, the routes answer 404).
        var approvals: ApprovalBroker?
        var reload: @Sendable () -> ReloadOutcome
        var ready: @Sendable () -> Bool
    }

    /// The resource name control tokens are scoped to (`ringgate token issue --resources control`).
    public static let tokenResource = "control"

    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    /// Runs the application; asked to shut down gracefully by ``stop()``.
    private let group: ServiceGroup
    /// The bound port (the listener may ask for port 0).
    public let port: Int

    /// Starts listening; returns once the listener is bound (or throws why it could not be).
    init(_ services: Services, logger: Logger) throws {
        let router = Router()
        Self.routes(router, services)
        let bound = BoundPort()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(services.settings.listen.host, port: Int(services.settings.listen.port)),
                                 serverName: "ringgate-control"),
            onServerRunning: { channel in bound.set(channel.localAddress?.port ?? -1) },
            logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        let task = Task { try await group.run() }
        guard let port = bound.wait(seconds: 10), port > 0 else {
            task.cancel()
            throw ControlServerError.cannotListen(services.settings.listen.description)
        }
        self.port = port
        self.group = group
        self.task.withLock { $0 = task }
    }

    /// Stops the listener: open requests get up to five seconds to finish (the event stream
    /// ends with the approval broker), then what is left is cancelled.
    public func stop() {
        guard let task = task.withLock({ value -> Task<Void, any Error>? in defer { value = nil }; return value }) else { return }
        let done = DispatchSemaphore(value: 0)
        Task { [group] in
            await group.triggerGracefulShutdown()
            _ = await task.result
            done.signal()
        }
        if done.wait(timeout: .now() + 5) == .timedOut {
            task.cancel()
            _ = done.wait(timeout: .now() + 2)
        }
    }

    // MARK: Routes

    private static func routes(_ router: Router<BasicRequestContext>, _ services: Services) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            services.ready() ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "not ready\n")))
        }
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: services.metrics.render())))
        }
        router.get("/v1/sessions") { request, _ -> Response in
            _ = try await authorize(request, services, role: .reader)
            let broker = services.approvals
            var sessions: [SessionDescription] = []
            for entry in services.sessions.list {
                let id: String = broker.map { $0.storeSessionID(entry.id) } ?? String(describing: entry.id)
                sessions.append(SessionDescription(
                    id: id, replica: broker?.replicaID, identity: entry.identity, resource: entry.resource,
                    database: entry.database, client: entry.clientAddress, startedAt: entry.startedAt.timeIntervalSince1970))
            }
            if let broker {
                // Other replicas' sessions, from the shared session index.
                for record in try await broker.store.sessions(liveOnly: true) where !record.id.hasPrefix(broker.sessionPrefix) {
                    guard record.replicaID != broker.replicaID else { continue }
                    sessions.append(SessionDescription(
                        id: record.id, replica: record.replicaID, identity: record.identity, resource: record.resource,
                        database: nil, client: nil, startedAt: record.startedAt.timeIntervalSince1970))
                }
            }
            return try json(sessions)
        }
        router.delete("/v1/sessions/:id") { request, context -> Response in
            let caller: String = try await authorize(request, services, role: .admin)
            let id: String = try context.parameters.require("id")
            guard try await killSession(id, by: caller, services) else {
                throw HTTPError(.notFound, message: "no live session \(id)")
            }
            return try json(["terminated": id])
        }
        router.post("/v1/tokens/revoke") { request, _ -> Response in
            _ = try await authorize(request, services, role: .admin)
            guard let broker = services.approvals else { throw HTTPError(.notFound, message: "the control store is not enabled") }
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let revocation = try? JSONDecoder().decode(RevocationBody.self, from: Data(buffer: body)),
                  !revocation.jti.isEmpty, revocation.jti.count <= 128 else {
                throw HTTPError(.badRequest, message: "expected {\"jti\": \"...\"}")
            }
            var expires: Date = Date().addingTimeInterval(7 * 86_400)
            if let seconds = revocation.expiresAt { expires = Date(timeIntervalSince1970: seconds) }
            try await broker.revokeToken(revocation.jti, expiresAt: expires)
            return try json(["revoked": revocation.jti])
        }
        ApprovalRoutes.add(to: router, services)
        GrantRoutes.add(to: router, services)
        router.post("/v1/reload") { request, _ -> Response in
            _ = try await authorize(request, services, role: .admin)
            switch services.reload() {
            case .applied(let version): return try json(["outcome": "applied", "policy_version": version])
            case .unchanged(let version): return try json(["outcome": "unchanged", "policy_version": version])
            case .rejected(let diagnostics):
                throw HTTPError(.unprocessableContent, message: diagnostics.map(\.description).joined(separator: "\n"))
            }
        }
    }

    /// Ends session `id`: one of this process's at once, another replica's through the store
    /// (that replica ends it when its feed brings the request). False when it is not live.
    static func killSession(_ id: String, by caller: String, _ services: Services) async throws -> Bool {
        var number: UInt64? = UInt64(id)
        if let broker = services.approvals, let local = broker.localSessionNumber(id) { number = local }
        if let number {
            guard let entry = services.sessions.entry(number) else { return false }
            return services.kill(entry, caller)
        }
        guard let broker = services.approvals else { return false }
        return try await broker.store.requestSessionKill(id: id, by: caller, at: Date())
    }

    enum Role { case reader, admin }

    /// The caller's identity when its bearer token is valid and its groups allow `role`;
    /// throws 401 (no or bad token) or 403 (not allowed).
    static func authorize(_ request: Request, _ services: Services, role: Role) async throws -> String {
        let caller = try await authenticate(request, services)
        let allowed = role == .admin ? services.settings.adminGroups : services.settings.adminGroups + services.settings.approverGroups
        guard allowed.contains(where: caller.groups.contains) else {
            throw HTTPError(.forbidden, message: "\(caller.name) may not do this")
        }
        return caller.name
    }

    /// The caller's identity and config groups when its bearer token is valid, else 401.
    static func authenticate(_ request: Request, _ services: Services) async throws -> (name: String, groups: Set<String>) {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "a bearer token is required")
        }
        let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        let verified = await services.authentication.authenticator.authenticate(token, resource: tokenResource)
        guard case .success(let identity) = verified else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""], message: "invalid token")
        }
        if let tokenID = identity.tokenID, services.authentication.isRevoked(tokenID) {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""], message: "invalid token")
        }
        return (identity.name, ConfigGroupMembership.groups(of: identity.name, tokenGroups: identity.groups, in: services.groups()))
    }

    static func json<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// The body of `POST /v1/tokens/revoke`.
struct RevocationBody: Decodable {
    var jti: String
    /// When the token expires (seconds since the epoch); the revocation is kept until then.
    var expiresAt: Double?

    enum CodingKeys: String, CodingKey {
        case jti
        case expiresAt = "expires_at"
    }
}

/// A live session as the API lists it.
struct SessionDescription: Codable, Sendable {
    var id: String
    var replica: String?
    var identity: String
    var resource: String
    var database: String?
    var client: String?
    var startedAt: Double

    enum CodingKeys: String, CodingKey {
        case id, replica, identity, resource, database, client
        case startedAt = "started_at"
    }
}

/// Why the control API did not start.
public enum ControlServerError: Error, Sendable, CustomStringConvertible {
    case cannotListen(String)

    public var description: String {
        switch self {
        case .cannotListen(let address): "gateway.control: cannot listen on \(address)"
        }
    }
}

/// The port `onServerRunning` reports, handed to the starting thread.
private final class BoundPort: Sendable {
    private let value = Mutex<Int?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func set(_ port: Int) {
        value.withLock { $0 = port }
        ready.signal()
    }

    func wait(seconds: Int) -> Int? {
        guard ready.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        return value.withLock { $0 }
    }
}
