import Codecs
import Foundation
import IOCore

extension PostgresSession {
    // MARK: Startup and login

    mutating func startupPacket(_ kind: PostgresFrameKind, body: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
        switch kind {
        case .sslRequest:
            clientRequestedTLS(io: &io)
        case .gssEncRequest:
            // No GSSAPI encryption: the client may go on with TLS or plaintext.
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
            // A statement the target holds for approval is what the client wants to stop.
            shared.liveSessions.postToHolder(ofCancelKey: (view.processID, view.secretKey), .clientCancel)
            cancelTarget = target
            phase = .cancelling
            io.connectUpstream()
        case .startup:
            startupMessage(body, io: &io)
        case .message:
            fail(.fatal, "08P01", "expected a startup message", io: &io)
        }
    }

    mutating func startupMessage(_ body: UnsafeRawBufferPointer, io: inout SessionIO<GatewaySessionEvent>) {
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
        guard io.isTLS(.client) || resource.allowsPlaintext(from: clientAddress) else {
            let address = clientAddress.map { " from \($0.hostDescription)" } ?? ""
            let remedy = resource.clientTLS == nil
                ? "TLS is not configured for resource \(resource.name)" : "connect with sslmode=require or stronger"
            fail(.fatal, "28000", "plaintext logins are refused\(address): \(remedy)", io: &io)
            return
        }
        var writer = WireWriter(scratch)
        PostgresBackendEncoder.authenticationCleartextPassword(&writer)
        io.write(UnsafeRawBufferPointer(rebasing: scratch[0..<writer.count]), to: .client)
        phase = .awaitingPassword
    }

    /// Escapes spaces and backslashes the way the `options` parameter reads them.
    static func escapeOption(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == " " || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
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

    mutating func passwordReceived(_ token: String, io: inout SessionIO<GatewaySessionEvent>) {
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

    mutating func tokenVerified(_ result: Result<VerifiedIdentity, AuthenticationFailure>, io: inout SessionIO<GatewaySessionEvent>) {
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
            var session = PolicySession(
                store: shared.policies, grants: shared.approvals?.grants?.active, identity: verified.name, groups: verified.groups, provider: verified.groupProvider,
                resource: resource.name)
            // Run-time parameters set at startup are decided like the equivalent SET.
            var allowedOptions: [String] = []
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
                allowedOptions.append("-c \(Self.escapeOption(name))=\(Self.escapeOption(value))")
            }
            // PostgreSQL keeps only the last `options` key: every allowed setting goes in one.
            if !allowedOptions.isEmpty { upstreamParameters.append(("options", allowedOptions.joined(separator: " "))) }
            policy = session
            auditContext = SessionAuditContext(
                sessionID: shared.nextSessionID(),
                identity: verified, resource: resource.name, clientAddress: clientAddress?.description,
                database: database, upstreamUser: resource.upstreamUser)
            phase = .connecting
            io.connectUpstream()
        }
    }

    mutating func upstreamConnected(io: inout SessionIO<GatewaySessionEvent>) {
        guard phase == .cancelling || phase == .connecting else { return }
        if resource.upstreamTLS != nil {
            requestUpstreamTLS(io: &io)
            return
        }
        upstreamReady(io: &io)
    }

    /// The upstream connection is ready for the login (or the cancel request): connected, and
    /// TLS established where the resource asks for it.
    mutating func upstreamReady(io: inout SessionIO<GatewaySessionEvent>) {
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
    mutating func loginStep(_ step: PostgresUpstreamLogin.Step, frame: UnsafeRawBufferPointer?, io: inout SessionIO<GatewaySessionEvent>) -> Bool {
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
            refreshMasks()
            updateInspection()
            readCatalogIfNeeded(io: &io)
            if let auditContext, let policy {
                shared.audit.record(.sessionStart(auditContext, policyVersion: policy.policyVersion))
                resource.counters?.sessionStarted()
                if let reply = io.replyAddress() {
                    shared.liveSessions.add(LiveSessions.Entry(
                        id: auditContext.sessionID, identity: auditContext.identity, resource: resource.name,
                        database: auditContext.database, clientAddress: auditContext.clientAddress, startedAt: startedAt,
                        cancelKey: gatewayKey, reply: reply))
                }
                shared.approvals?.sessionStarted(auditContext.sessionID, identity: auditContext.identity, resource: resource.name,
                                                 at: startedAt)
            }
            startRecording(io: &io)
        case .failed(let error):
            fail(.fatal, error.clientSQLState, error.clientMessage, io: &io)
            return false
        case .none:
            break
        }
        return true
    }
}
