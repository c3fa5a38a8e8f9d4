import Foundation

extension SQLControlStore {
    func createRequest(_ request: ApprovalRequest) async throws {
        guard !request.id.isEmpty else { throw ControlStoreError.invalid("empty request id") }
        guard request.requiredApprovals >= 1 else { throw ControlStoreError.invalid("required approvals must be at least 1") }
        guard request.state == .pending else { throw ControlStoreError.invalid("a new request must be pending") }
        let dialect = engine.dialect
        try await write { transaction in
            let existing = try await transaction.query("SELECT id FROM approval_requests WHERE id = ?", .text(request.id))
            guard existing.isEmpty else { throw ControlStoreError.duplicate("request \(request.id)") }
            try await transaction.execute(
                "INSERT INTO approval_requests (\(StoreRecordCoding.requestColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                .text(request.id), .text(request.replicaID), StoreValue(request.sessionID), .text(request.identity),
                .text(StoreListCoding.encode(request.groups)), .text(request.resource), .text(request.database),
                .text(request.statement), .text(StoreListCoding.encode(request.classes)),
                .text(StoreListCoding.encode(request.relations)), StoreValue(request.justification),
                StoreValue(request.createdAt), StoreValue(request.deadline), StoreValue(request.requiredApprovals),
                .text(request.state.rawValue), .null, StoreValue(request.rule),
                .text(StoreListCoding.encode(request.approverGroups)))
            try await transaction.recordChange(.requestCreated, request.id, at: request.createdAt, dialect: dialect)
        }
    }

    func request(id: String) async throws -> ApprovalRequest? {
        try await read { transaction in
            try await transaction.query(
                "SELECT \(StoreRecordCoding.requestColumns) FROM approval_requests WHERE id = ?", .text(id)
            ).first.map(StoreRecordCoding.request)
        }
    }

    func decisions(requestID: String) async throws -> [ApprovalDecision] {
        try await read { transaction in
            try await transaction.query(
                "SELECT \(StoreRecordCoding.decisionColumns) FROM approval_decisions WHERE request_id = ? ORDER BY decided_ms, approver",
                .text(requestID)
            ).map(StoreRecordCoding.decision)
        }
    }

    func recordDecision(_ decision: ApprovalDecision) async throws -> ApprovalState {
        let dialect = engine.dialect
        return try await write { transaction in
            // Locks the request: concurrent decisions on it take their turn here.
            guard let request = try await transaction.query(
                "SELECT \(StoreRecordCoding.requestColumns) FROM approval_requests WHERE id = ?\(dialect.lockRowsClause)",
                .text(decision.requestID)
            ).first.map(StoreRecordCoding.request) else {
                throw ControlStoreError.notFound("request \(decision.requestID)")
            }
            guard request.state == .pending else { throw ControlStoreError.notPending("request \(request.id) is \(request.state.rawValue)") }
            if decision.verdict == .approve && decision.approver == request.identity { throw ControlStoreError.selfApproval }
            let earlier = try await transaction.query(
                "SELECT approver FROM approval_decisions WHERE request_id = ? AND approver = ?",
                .text(request.id), .text(decision.approver))
            guard earlier.isEmpty else { throw ControlStoreError.alreadyDecided }
            if decision.decidedAt >= request.deadline {
                try await transaction.close(request.id, as: .expired, at: request.deadline, dialect: dialect)
                return .expired
            }
            try await transaction.execute(
                "INSERT INTO approval_decisions (\(StoreRecordCoding.decisionColumns)) VALUES (?, ?, ?, ?, ?)",
                .text(request.id), .text(decision.approver), .text(decision.verdict.rawValue),
                StoreValue(decision.decidedAt), StoreValue(decision.comment))
            try await transaction.recordChange(.requestDecided, request.id, at: decision.decidedAt, dialect: dialect)
            let state: ApprovalState
            switch decision.verdict {
            case .deny:
                state = .denied
            case .approve:
                let approvals = try await transaction.query(
                    "SELECT COUNT(DISTINCT approver) AS approvals FROM approval_decisions WHERE request_id = ? AND verdict = ?",
                    .text(request.id), .text(ApprovalVerdict.approve.rawValue))
                let count = try approvals.first?.integer("approvals") ?? 0
                state = count >= Int64(request.requiredApprovals) ? .approved : .pending
            }
            if state != .pending {
                try await transaction.close(request.id, as: state, at: decision.decidedAt, dialect: dialect)
            }
            return state
        }
    }

    func cancelRequest(id: String, at instant: Date) async throws -> ApprovalState {
        let dialect = engine.dialect
        return try await write { transaction in
            guard let row = try await transaction.query(
                "SELECT state FROM approval_requests WHERE id = ?\(dialect.lockRowsClause)", .text(id)
            ).first else {
                throw ControlStoreError.notFound("request \(id)")
            }
            guard let state = ApprovalState(rawValue: try row.string("state")) else { throw StoreRowError.wrongType("state") }
            guard state == .pending else { return state }
            try await transaction.close(id, as: .cancelled, at: instant, dialect: dialect)
            return .cancelled
        }
    }

    func pendingRequests() async throws -> [ApprovalRequest] {
        try await read { transaction in
            try await transaction.query(
                "SELECT \(StoreRecordCoding.requestColumns) FROM approval_requests WHERE state = ? ORDER BY created_ms, id",
                .text(ApprovalState.pending.rawValue)
            ).map(StoreRecordCoding.request)
        }
    }

    func expireOverdueRequests(at instant: Date) async throws -> [String] {
        try await closePending(as: .expired, at: instant, where: "deadline_ms <= ?", StoreValue(instant))
    }

    func failPendingRequests(replicaID: String, at instant: Date) async throws -> [String] {
        try await closePending(as: .failed, at: instant, where: "replica_id = ?", .text(replicaID))
    }

    /// Moves the pending requests matching `condition` to `state`; returns their ids.
    private func closePending(as state: ApprovalState, at instant: Date, where condition: String,
                              _ value: StoreValue) async throws -> [String] {
        let dialect = engine.dialect
        return try await write { transaction in
            let ids = try await transaction.query(
                "SELECT id FROM approval_requests WHERE state = ? AND \(condition) ORDER BY created_ms, id\(dialect.lockRowsClause)",
                .text(ApprovalState.pending.rawValue), value
            ).map { try $0.string("id") }
            for id in ids {
                try await transaction.close(id, as: state, at: instant, dialect: dialect)
            }
            return ids
        }
    }
}

extension StoreTransaction {
    /// Ends a pending request in `state` and records the change.
    func close(_ requestID: String, as state: ApprovalState, at instant: Date, dialect: StoreDialect) async throws {
        try await execute(
            "UPDATE approval_requests SET state = ?, closed_ms = ? WHERE id = ? AND state = ?",
            .text(state.rawValue), StoreValue(instant), .text(requestID), .text(ApprovalState.pending.rawValue))
        try await recordChange(.requestClosed, requestID, at: instant, dialect: dialect)
    }
}
