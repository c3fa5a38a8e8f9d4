import Codecs
import Foundation
import IOCore

/// Events the control plane posts to a PostgreSQL session.
public enum GatewaySessionEvent: Sendable {
    /// The bearer token the client gave as its password was checked.
    case tokenVerified(Result<VerifiedIdentity, AuthenticationFailure>)
    /// The SCRAM salted password the upstream login asked for.
    case saltedPassword([UInt8])
}

/// One client connection to a `postgres` resource: the gateway ends the client's login
/// itself (a bearer token as the password), logs in upstream with the credentials it holds,
/// then decides every Query, Parse and FunctionCall by policy before a byte of it reaches
/// the server. Denied statements are answered as the server would answer an error, in
/// order with the results of what was sent before them.
///
/// A state machine on the ``ProxySession`` seam: it performs no I/O, and after login its
/// per-message work allocates nothing except on a denial or an audit record.
public struct PostgresSession: ~Copyable {
    enum Phase: Equatable {
        case startup, awaitingPassword, verifying, connecting, upstreamLogin, ready, cancelling, failed
    }

    /// An error to give the client once the upstream reached a given ReadyForQuery.
    struct DeferredError {
        /// The number of the upstream ReadyForQuery it belongs to (1-based).
        var mark: UInt64
        /// Before that ReadyForQuery (a denied Parse answered at Sync), or after it, with a
        /// ReadyForQuery of its own (a denied Query or FunctionCall).
        var beforeReady: Bool
        var decision: Decision
        var classes: StatementClass
    }

    let resource: PostgresResourceContext
    let shared: GatewaySessionShared
    let clientAddress: SocketAddress?
    var phase: Phase = .startup
    var clientDecoder: PostgresFrameDecoder
    var upstreamDecoder: PostgresFrameDecoder
    /// Scratch for messages the session encodes.
    let scratch: UnsafeMutableRawBufferPointer

    // Login
    var startupUser = ""
    var database = ""
    var upstreamParameters: [(String, String)] = []
    var runtimeOptions: [(String, String)] = []
    var identity: VerifiedIdentity?
    var policy: PolicySession?
    var login: PostgresUpstreamLogin?
    var gatewayKey: (processID: Int32, secretKey: Int32)?
    var cancelTarget: CancelKeyRegistry.Upstream?
    var auditContext: SessionAuditContext?
    let startedAt = Date()

    // Statements
    var classifier = SQLClassifier()
    var summary = SQLQuerySummary()
    var relations: [RelationReference] = []
    /// After a denied Parse: drop everything up to Sync.
    var skippingToSync = false
    var skipDecision = Decision(action: .deny, reason: .rule)
    var skipClasses: StatementClass = []
    /// Query/Sync/FunctionCall messages sent upstream, and ReadyForQuery messages seen back.
    var markersSent: UInt64 = 0
    var readySeen: UInt64 = 0
    var transactionStatus = UInt8(ascii: "I")
    var deferred: [DeferredError] = []
    /// Bytes received from each side (audit).
    var bytesFromClient: UInt64 = 0
    var bytesFromUpstream: UInt64 = 0

    static let maxDeferred = 64

    init(resource: PostgresResourceContext, shared: GatewaySessionShared, clientAddress: SocketAddress?) {
        self.resource = resource
        self.shared = shared
        self.clientAddress = clientAddress
        var frontend = PostgresFrameDecoderConfiguration.frontend()
        frontend.inspectedTypes = PostgresMessageTypeSet(
            PostgresMessageType.Frontend.query, PostgresMessageType.Frontend.parse, PostgresMessageType.Frontend.password,
            PostgresMessageType.Frontend.sync, PostgresMessageType.Frontend.functionCall)
        clientDecoder = PostgresFrameDecoder(configuration: frontend)
        upstreamDecoder = PostgresFrameDecoder(configuration: .backend())
        scratch = .allocate(byteCount: 16 * 1024, alignment: 8)
        relations.reserveCapacity(SQLRelationList.capacity)
        deferred.reserveCapacity(Self.maxDeferred)
    }

    deinit {
        scratch.deallocate()
    }

    // MARK: Seam

    mutating func start(io: inout SessionIO<GatewaySessionEvent>) {
        io.setDeadline(after: resource.authenticationTimeoutNanoseconds)
    }

    mutating func received(
        _ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide, io: inout SessionIO<GatewaySessionEvent>
    ) {
        if side == .client {
            bytesFromClient &+= UInt64(bytes.count)
            receivedFromClient(UnsafeRawBufferPointer(bytes), io: &io)
        } else {
            bytesFromUpstream &+= UInt64(bytes.count)
            receivedFromUpstream(UnsafeRawBufferPointer(bytes), io: &io)
        }
    }

    mutating func handle(_ event: SessionEvent<GatewaySessionEvent>, io: inout SessionIO<GatewaySessionEvent>) {
        switch event {
        case .connected:
            upstreamConnected(io: &io)
        case .connectFailed:
            if phase == .cancelling {
                io.close(.sessionTerminated)
            } else {
                fail(.fatal, "08006", "could not connect to the upstream server of resource \(resource.name)", io: &io)
            }
        case .deadline:
            if phase != .ready && phase != .failed {
                fail(.fatal, "08006", "authentication timeout", io: &io)
            }
        case .closed(let reason):
            sessionClosed(reason)
        case .custom(.tokenVerified(let result)):
            tokenVerified(result, io: &io)
        case .custom(.saltedPassword(let salted)):
            guard phase == .upstreamLogin, login != nil else { return }
            let step = login!.provideSaltedPassword(salted)
            _ = loginStep(step, frame: nil, io: &io)
        }
    }

    // MARK: Client → gateway

    private mutating func receivedFromClient(_ buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        var cursor = 0
        while phase != .failed {
            let event = clientDecoder.next(in: buffer, at: &cursor)
            switch event {
            case .needMoreData:
                return
            case .frame(let frame):
                clientMessage(frame, body: frame.body(in: buffer), range: frame.offset..<(frame.offset + frame.length), io: &io)
            case .reassembled(let frame):
                let copy = UnsafeRawBufferPointer(clientDecoder.reassembled)
                clientMessage(frame, body: frame.body(in: copy), range: nil, io: &io)
            case .part(let part):
                // A message that is not inspected, crossing a buffer edge (a large Bind, CopyData).
                if part.isBuffered { continue }
                if phase == .ready && !skippingToSync { io.forward(part.offset..<(part.offset + part.count)) }
                if phase != .ready { fail(.fatal, "08P01", "unexpected message during authentication", io: &io) }
            case .singleByte:
                fail(.fatal, "08P01", "invalid frontend message", io: &io)
            case .protocolError(let error):
                fail(.fatal, "08P01", "invalid frontend message: \(error)", io: &io)
            }
            if phase == .verifying && cursor < buffer.count {
                // Nothing may follow the password before the login finished (no unclassified bytes get through).
                fail(.fatal, "08P01", "unexpected data before authentication completed", io: &io)
            }
        }
    }

    private mutating func clientMessage(
        _ frame: PostgresFrame, body: UnsafeRawBufferPointer, range: Range<Int>?, io: inout SessionIO<GatewaySessionEvent>
    ) {
        switch phase {
        case .startup:
            startupPacket(frame.kind, body: body, io: &io)
        case .awaitingPassword:
            guard frame.kind == .message(PostgresMessageType.Frontend.password),
                  let view = try? PasswordMessageView(body: body) else {
                fail(.fatal, "08P01", "expected a password message", io: &io)
                return
            }
            passwordReceived(String(decoding: view.password, as: UTF8.self), io: &io)
        case .ready:
            statementMessage(frame.kind.typeByte, body: body, whole: frame, range: range, io: &io)
        case .verifying, .connecting, .upstreamLogin:
            fail(.fatal, "08P01", "unexpected message during authentication", io: &io)
        case .cancelling, .failed:
            return
        }
    }

    /// Forwards a whole client message: zero copy from the buffer, or a copy of the reassembled one.
    private func forwardMessage(_ frame: PostgresFrame, range: Range<Int>?, io: inout SessionIO<GatewaySessionEvent>) {
        if let range {
            io.forward(range)
        } else {
            let copy = UnsafeRawBufferPointer(clientDecoder.reassembled)
            io.write(UnsafeRawBufferPointer(rebasing: copy[frame.offset..<(frame.offset + frame.length)]), to: .upstream)
        }
    }

    // MARK: Startup and login

    private mutating func startupPacket(_ kind: PostgresFrameKind, body: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        switch kind {
        case .sslRequest, .gssEncRequest:
            // No TLS on the client leg yet: the client may continue in plaintext (loopback only).
            var no = UInt8(ascii: "N")
            io.write(UnsafeRawBufferPointer(start: &no, count: 1), to: .client)
        case .cancelRequest:
            guard let view = try? CancelRequestView(body: body),
                  let target = shared.cancelKeys.lookup(processID: view.processID, secretKey: view.secretKey) else {
                // PostgreSQL answers nothing to an unknown key.
                phase = .failed
                io.close(.completed)
                return
            }
            cancelTarget = target
            phase = .cancelling
            io.connectUpstream()
        case .startup:
            startupMessage(body, io: &io)
        case .message:
            fail(.fatal, "08P01", "expected a startup message", io: &io)
        }
    }

    private mutating func startupMessage(_ body: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        guard let view = try? StartupMessageView(body: body) else {
            fail(.fatal, "08P01", "invalid startup packet layout", io: &io)
            return
        }
        guard view.protocolVersion == 196_608 else {
            fail(.fatal, "0A000", "unsupported frontend protocol \(view.protocolVersion >> 16).\(view.protocolVersion & 0xFFFF): server supports 3.0", io: &io)
            return
        }
        var parameters: [(String, String)] = []
        view.forEachParameter { name, value in
            let key = String(decoding: name, as: UTF8.self)
            let text = String(decoding: value, as: UTF8.self)
            // PostgreSQL takes the last of duplicate keys.
            parameters.removeAll { $0.0 == key }
            parameters.append((key, text))
        }
        for (key, value) in parameters {
            switch key {
            case "user": startupUser = value
            case "database": database = value
            case "replication":
                fail(.fatal, "42501", "replication connections are not served by the gateway", io: &io)
                return
            case "options": runtimeOptions = Self.parseOptions(value)
            default: upstreamParameters.append((key, value))
            }
        }
        guard !startupUser.isEmpty else {
            fail(.fatal, "28000", "no PostgreSQL user name specified in startup packet", io: &io)
            return
        }
        if database.isEmpty { database = startupUser }
        if !resource.allowedDatabases.isEmpty && !resource.allowedDatabases.contains(database) {
            fail(.fatal, "3D000", "database \"\(database)\" is not served by resource \(resource.name)", io: &io)
            return
        }
        guard clientAddress?.isLoopback ?? false else {
            fail(.fatal, "28000", "plaintext logins are accepted only from loopback addresses (TLS is not configured)", io: &io)
            return
        }
        var writer = WireWriter(scratch)
        PostgresBackendEncoder.authenticationCleartextPassword(&writer)
        io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .client)
        phase = .awaitingPassword
    }

    /// `-c name=value` and `--name=value` settings of the `options` startup parameter.
    static func parseOptions(_ options: String) -> [(String, String)] {
        var settings: [(String, String)] = []
        var words: [String] = []
        var current = ""
        var escaped = false
        for character in options {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == " " {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        var index = 0
        while index < words.count {
            var setting: Substring?
            if words[index] == "-c", index + 1 < words.count {
                setting = words[index + 1][...]
                index += 2
            } else if words[index].hasPrefix("--") {
                setting = words[index].dropFirst(2)
                index += 1
            } else if words[index].hasPrefix("-c") {
                setting = words[index].dropFirst(2)
                index += 1
            } else {
                settings.append(("", words[index]))
                index += 1
            }
            if let setting {
                let parts = setting.split(separator: "=", maxSplits: 1)
                settings.append((String(parts[0]).replacingOccurrences(of: "-", with: "_"), parts.count > 1 ? String(parts[1]) : ""))
            }
        }
        return settings
    }

    private mutating func passwordReceived(_ token: String, io: inout SessionIO<GatewaySessionEvent>) {
        guard let reply = io.replyAddress() else {
            fail(.fatal, "XX000", "internal error: no mailbox", io: &io)
            return
        }
        phase = .verifying
        io.pauseReading(.client)
        shared.authentication.verify(token: token, resource: resource.name, clientAddress: clientAddress?.description) { result in
            if !reply.post(.tokenVerified(result)) {
                // The loop's mailbox is full: the session's authentication deadline ends it.
            }
        }
    }

    private mutating func tokenVerified(_ result: Result<VerifiedIdentity, AuthenticationFailure>, io: inout SessionIO<GatewaySessionEvent>) {
        guard phase == .verifying else { return }
        switch result {
        case .failure(let failure):
            shared.audit.record(.authenticationFailure(
                failure, resource: resource.name, clientAddress: clientAddress?.description,
                policyVersion: shared.policies.snapshot.version))
            let state: StaticString = failure.reason == .rateLimited ? "28000" : "28P01"
            fail(.fatal, state, "password authentication failed for user \"\(startupUser)\"", io: &io)
        case .success(let verified):
            guard resource.ignoreStartupUser || verified.name == startupUser else {
                shared.audit.record(.authenticationFailure(
                    AuthenticationFailure(.invalidClaim, "startup user does not match the token's identity"),
                    resource: resource.name, clientAddress: clientAddress?.description,
                    policyVersion: shared.policies.snapshot.version))
                fail(.fatal, "28000", "user \"\(startupUser)\" does not match the identity of the token", io: &io)
                return
            }
            identity = verified
            var session = PolicySession(store: shared.policies, identity: verified.name, groups: verified.groups, resource: resource.name)
            // Run-time parameters set at startup are decided like the equivalent SET.
            for (name, value) in runtimeOptions {
                guard !name.isEmpty else {
                    fail(.fatal, "42501", "startup option \"\(value)\" is not allowed through the gateway", io: &io)
                    return
                }
                let statement = StatementInput.classify(sql: "SET \(name) TO '\(value.replacingOccurrences(of: "'", with: "''"))'")
                let decision = statement.relations.withUnsafeBufferPointer { refs in
                    statement.text.withUnsafeBytes { text in
                        session.evaluate(classes: statement.classes, relations: refs, in: text, statementLength: statement.length)
                    }
                }
                guard decision.action == .allow else {
                    fail(.fatal, "42501", "startup option \(name) denied by policy (\(ruleName(decision, session: session)))", io: &io)
                    return
                }
                upstreamParameters.append(("options", "-c \(name)=\(value)"))
            }
            policy = session
            auditContext = SessionAuditContext(
                sessionID: UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: io.handle.slot))) << 32 | UInt64(io.handle.generation),
                identity: verified, resource: resource.name, clientAddress: clientAddress?.description,
                database: database, upstreamUser: resource.upstreamUser)
            phase = .connecting
            io.connectUpstream()
        }
    }

    private mutating func upstreamConnected(io: inout SessionIO<GatewaySessionEvent>) {
        if phase == .cancelling, let target = cancelTarget {
            var writer = WireWriter(scratch)
            PostgresFrontendEncoder.cancelRequest(&writer, processID: target.processID, secretKey: target.secretKey)
            io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .upstream)
            io.close(.completed, flush: true)
            return
        }
        guard phase == .connecting else { return }
        var writer = WireWriter(scratch)
        PostgresBackendEncoder.authenticationOk(&writer)
        io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .client)
        var login = PostgresUpstreamLogin(
            user: resource.upstreamUser, database: database, password: resource.upstreamPassword,
            parameters: upstreamParameters)
        let startup = login.startupMessage()
        self.login = login
        startup.withUnsafeBytes { _ = io.write($0, to: .upstream) }
        phase = .upstreamLogin
    }

    /// Carries out one step of the upstream login; returns false when the session failed.
    private mutating func loginStep(_ step: PostgresUpstreamLogin.Step, frame: UnsafeRawBufferPointer?, io: inout SessionIO<GatewaySessionEvent>) -> Bool {
        switch step {
        case .send(let bytes):
            bytes.withUnsafeBytes { _ = io.write($0, to: .upstream) }
        case .needsSaltedPassword(let salt, let iterations):
            let password = resource.upstreamPassword ?? []
            if let cached = shared.authentication.cachedSaltedPassword(
                password: password, salt: salt, iterations: iterations, cacheKey: resource.name) {
                return loginStep(login!.provideSaltedPassword(cached), frame: nil, io: &io)
            }
            guard let reply = io.replyAddress() else { return false }
            shared.authentication.deriveSaltedPassword(
                password: password, salt: salt, iterations: iterations, cacheKey: resource.name
            ) { salted in
                reply.post(.saltedPassword(salted))
            }
        case .parameterStatus, .notice:
            if let frame { io.write(frame, to: .client) }
        case .backendKeyData(let processID, let secretKey):
            gatewayKey = shared.cancelKeys.register(upstream: resource.upstreamDescription, processID: processID, secretKey: secretKey)
        case .ready(let status):
            transactionStatus = status
            var writer = WireWriter(scratch)
            if let key = gatewayKey {
                PostgresBackendEncoder.backendKeyData(&writer, processID: key.processID, secretKey: key.secretKey)
            }
            PostgresBackendEncoder.readyForQuery(&writer, transactionStatus: status)
            io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .client)
            phase = .ready
            login = nil
            io.clearDeadline()
            io.resumeReading(.client)
            upstreamDecoder.inspectedTypes = PostgresMessageTypeSet(
                PostgresMessageType.Backend.readyForQuery, PostgresMessageType.Backend.parameterStatus)
            if let auditContext, let policy {
                shared.audit.record(.sessionStart(auditContext, policyVersion: policy.policyVersion))
            }
        case .failed(let error):
            fail(.fatal, error.clientSQLState, error.clientMessage, io: &io)
            return false
        case .none:
            break
        }
        return true
    }

    // MARK: Statements

    private mutating func statementMessage(
        _ type: UInt8, body: UnsafeRawBufferPointer, whole frame: PostgresFrame, range: Range<Int>?,
        io: inout SessionIO<GatewaySessionEvent>
    ) {
        switch type {
        case PostgresMessageType.Frontend.query:
            guard let view = try? QueryMessageView(body: body) else {
                fail(.fatal, "08P01", "invalid Query message", io: &io)
                return
            }
            let (decision, classes) = decide(view.query)
            if decision.action == .allow {
                forwardMessage(frame, range: range, io: &io)
                markersSent &+= 1
            } else {
                refuse(decision, classes: classes, beforeReady: false, io: &io)
            }
        case PostgresMessageType.Frontend.parse:
            guard !skippingToSync else { return }
            guard let view = try? ParseMessageView(body: body) else {
                fail(.fatal, "08P01", "invalid Parse message", io: &io)
                return
            }
            let (decision, classes) = decide(view.query)
            if decision.action == .allow {
                forwardMessage(frame, range: range, io: &io)
            } else {
                skippingToSync = true
                skipDecision = decision
                skipClasses = classes
            }
        case PostgresMessageType.Frontend.sync:
            forwardMessage(frame, range: range, io: &io)
            markersSent &+= 1
            if skippingToSync {
                skippingToSync = false
                pushDeferred(DeferredError(mark: markersSent, beforeReady: true, decision: skipDecision, classes: skipClasses), io: &io)
            }
        case PostgresMessageType.Frontend.functionCall:
            // What a function call does cannot be seen: it is decided as opaque.
            guard policy != nil else { return }
            let decision = policy!.evaluate(classes: .opaque, statementLength: body.count)
            audit(decision, classes: .opaque, text: nil)
            if decision.action == .allow {
                forwardMessage(frame, range: range, io: &io)
                markersSent &+= 1
            } else {
                refuse(decision, classes: .opaque, beforeReady: false, io: &io)
            }
        default:
            if !skippingToSync { forwardMessage(frame, range: range, io: &io) }
        }
    }

    /// Classifies `text` and decides it against the session's current policy.
    private mutating func decide(_ text: UnsafeRawBufferPointer) -> (Decision, StatementClass) {
        summary.reset()
        classifier.classify(text: text, into: &summary)
        var classes = summary.classes
        if summary.relations.isOverflowed { classes.insert(.opaque) }
        relations.removeAll(keepingCapacity: true)
        for reference in summary.relations { relations.append(reference) }
        let decision = relations.withUnsafeBufferPointer { references in
            policy!.evaluate(classes: classes, relations: references, in: text, statementLength: text.count)
        }
        audit(decision, classes: classes, text: text)
        return (decision, classes)
    }

    private func audit(_ decision: Decision, classes: StatementClass, text: UnsafeRawBufferPointer?) {
        guard let auditContext, let policy else { return }
        var names: [String] = []
        if let text {
            for reference in relations { names.append(reference.displayName(in: text)) }
        }
        shared.audit.record(.statement(
            auditContext, policyVersion: policy.policyVersion, classes: classes, relations: names,
            action: decision.action.description, reason: decision.reason.description,
            rule: policy.snapshot.ruleID(of: decision)))
    }

    /// Answers a refused Query/FunctionCall now, or after the results of what is still
    /// outstanding upstream.
    private mutating func refuse(_ decision: Decision, classes: StatementClass, beforeReady: Bool, io: inout SessionIO<GatewaySessionEvent>) {
        if markersSent == readySeen && deferred.isEmpty {
            sendRefusal(decision, classes: classes, io: &io)
            sendReady(io: &io)
        } else {
            pushDeferred(DeferredError(mark: markersSent, beforeReady: false, decision: decision, classes: classes), io: &io)
        }
    }

    private mutating func pushDeferred(_ entry: DeferredError, io: inout SessionIO<GatewaySessionEvent>) {
        guard deferred.count < Self.maxDeferred else {
            fail(.fatal, "54000", "too many refused statements pipelined", io: &io)
            return
        }
        deferred.append(entry)
    }

    private func ruleName(_ decision: Decision, session: PolicySession) -> String {
        switch decision.reason {
        case .rule: "rule \(session.snapshot.ruleID(of: decision) ?? "?")"
        default: "\(decision.reason)"
        }
    }

    private mutating func sendRefusal(_ decision: Decision, classes: StatementClass, io: inout SessionIO<GatewaySessionEvent>) {
        guard let policy else { return }
        let decided = decision.statementClass.isEmpty ? classes : decision.statementClass
        let classNames = decided.names.joined(separator: ",")
        let message: String
        if decision.action == .review {
            message = "approval required: statement class \(classNames) needs review (\(ruleName(decision, session: policy)), policy \(policy.policyVersion))"
        } else {
            message = "permission denied by gateway policy: statement class \(classNames) (\(ruleName(decision, session: policy)), policy \(policy.policyVersion))"
        }
        sendError(.error, "42501", message, io: &io)
    }

    private mutating func sendReady(io: inout SessionIO<GatewaySessionEvent>) {
        var writer = WireWriter(scratch)
        PostgresBackendEncoder.readyForQuery(&writer, transactionStatus: transactionStatus)
        io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .client)
    }

    private func sendError(_ severity: PostgresSeverity, _ state: StaticString, _ message: String, io: inout SessionIO<GatewaySessionEvent>) {
        var text = message
        text.withUTF8 { bytes in
            var writer = WireWriter(scratch)
            PostgresBackendEncoder.errorResponse(&writer, PostgresErrorFields(
                severity: severity, sqlState: state, message: UnsafeRawBufferPointer(bytes),
                detail: UnsafeRawBufferPointer(start: nil, count: 0), hint: UnsafeRawBufferPointer(start: nil, count: 0)))
            if !writer.overflowed {
                io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .client)
            }
        }
    }

    /// Sends a FATAL (or ERROR) and closes once the client has it.
    private mutating func fail(_ severity: PostgresSeverity, _ state: StaticString, _ message: String, io: inout SessionIO<GatewaySessionEvent>) {
        guard phase != .failed else { return }
        phase = .failed
        sendError(severity, state, message, io: &io)
        io.close(.sessionTerminated, flush: true)
    }

    // MARK: Upstream → client

    private mutating func receivedFromUpstream(_ buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        switch phase {
        case .upstreamLogin:
            loginMessages(buffer, io: &io)
        case .ready:
            results(buffer, io: &io)
        default:
            return
        }
    }

    private mutating func loginMessages(_ buffer: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        var cursor = 0
        while phase == .upstreamLogin {
            let start = cursor
            switch upstreamDecoder.next(in: buffer, at: &cursor) {
            case .needMoreData:
                return
            case .frame(let frame):
                let step = login!.receive(type: frame.kind.typeByte, body: frame.body(in: buffer))
                guard loginStep(step, frame: frame.bytes(in: buffer), io: &io) else { return }
            case .reassembled(let frame):
                let copy = UnsafeRawBufferPointer(upstreamDecoder.reassembled)
                let step = login!.receive(type: frame.kind.typeByte, body: frame.body(in: copy))
                guard loginStep(step, frame: frame.bytes(in: copy), io: &io) else { return }
            case .part(let part):
                if !part.isBuffered {
                    fail(.fatal, "08P01", "upstream sent an oversized message during login", io: &io)
                }
            case .singleByte, .protocolError:
                fail(.fatal, "08P01", "upstream protocol violation during login", io: &io)
            }
            _ = start
        }
        if phase == .ready && cursor < buffer.count {
            // The server's first results never share a buffer with its ReadyForQuery after login,
            // but if they do, treat the rest as results.
            results(UnsafeRawBufferPointer(rebasing: buffer[cursor...]), offset: cursor, io: &io)
        }
    }

    /// Forwards results zero-copy, counting ReadyForQuery and putting refusals in their place.
    private mutating func results(_ buffer: UnsafeRawBufferPointer, offset base: Int = 0, io: inout SessionIO<GatewaySessionEvent>) {
        var cursor = 0
        var runStart = 0
        while true {
            switch upstreamDecoder.next(in: buffer, at: &cursor) {
            case .needMoreData:
                if cursor > runStart { io.forward((base + runStart)..<(base + cursor)) }
                return
            case .frame(let frame):
                let type = frame.kind.typeByte
                if type == PostgresMessageType.Backend.readyForQuery {
                    if let entry = deferred.first, entry.beforeReady, entry.mark == readySeen &+ 1 {
                        io.forward((base + runStart)..<(base + frame.offset))
                        runStart = frame.offset
                        deferred.removeFirst()
                        sendRefusal(entry.decision, classes: entry.classes, io: &io)
                    }
                    readySeen &+= 1
                    transactionStatus = buffer[frame.bodyOffset]
                    if let entry = deferred.first, !entry.beforeReady, entry.mark <= readySeen {
                        io.forward((base + runStart)..<(base + cursor))
                        runStart = cursor
                        flushDeferredAfterReady(io: &io)
                    }
                } else if type == PostgresMessageType.Backend.parameterStatus {
                    parameterChanged(frame.body(in: buffer))
                }
            case .reassembled(let frame):
                // A ReadyForQuery or ParameterStatus that crossed a buffer edge: its head
                // bytes went out with the previous buffer, so only the status is read here.
                let copy = UnsafeRawBufferPointer(upstreamDecoder.reassembled)
                if frame.kind.typeByte == PostgresMessageType.Backend.readyForQuery {
                    io.forward((base + runStart)..<(base + cursor))
                    runStart = cursor
                    readySeen &+= 1
                    transactionStatus = copy[frame.bodyOffset]
                    flushDeferredAfterReady(io: &io)
                } else {
                    parameterChanged(frame.body(in: copy))
                }
            case .part(let part):
                _ = part
            case .singleByte, .protocolError:
                if cursor > runStart { io.forward((base + runStart)..<(base + cursor)) }
                fail(.fatal, "08P01", "upstream protocol violation", io: &io)
                return
            }
        }
    }

    private mutating func flushDeferredAfterReady(io: inout SessionIO<GatewaySessionEvent>) {
        while let entry = deferred.first, !entry.beforeReady, entry.mark <= readySeen {
            deferred.removeFirst()
            sendRefusal(entry.decision, classes: entry.classes, io: &io)
            sendReady(io: &io)
        }
    }

    private mutating func parameterChanged(_ body: UnsafeRawBufferPointer) {
        guard let nameEnd = body.firstIndex(of: 0) else { return }
        let name = body[..<nameEnd]
        let rest = body[(nameEnd + 1)...]
        guard let valueEnd = rest.firstIndex(of: 0) else { return }
        if name.elementsEqual("standard_conforming_strings".utf8) {
            classifier.options.standardConformingStrings = rest[..<valueEnd].elementsEqual("on".utf8)
        }
    }

    // MARK: End

    private mutating func sessionClosed(_ reason: CloseReason) {
        if let key = gatewayKey { shared.cancelKeys.remove(processID: key.processID) }
        if let auditContext, let policy {
            shared.audit.record(.sessionEnd(
                auditContext, policyVersion: policy.policyVersion, bytesIn: bytesFromClient, bytesOut: bytesFromUpstream,
                durationMilliseconds: Date().timeIntervalSince(startedAt) * 1000, closeReason: reason.description))
        }
    }
}
