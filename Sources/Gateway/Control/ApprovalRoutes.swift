import Foundation
import Hummingbird
import NIOCore

/// `/v1/requests`: approval requests listed (approvers and admins), shown, approved and
/// denied (members of the request's approver groups; never the requester).
enum ApprovalRoutes {
    static func add(to router: Router<BasicRequestContext>, _ services: ControlServer.Services) {
        router.get("/v1/requests") { request, _ -> Response in
            _ = try await ControlServer.authorize(request, services, role: .reader)
            let broker = try broker(services)
            let pending = try await broker.store.pendingRequests()
            var described: [RequestDescription] = []
            for item in pending {
                described.append(RequestDescription(item, decisions: try await broker.store.decisions(requestID: item.id)))
            }
            return try ControlServer.json(described)
        }
        router.get("/v1/requests/:id") { request, context -> Response in
            _ = try await ControlServer.authorize(request, services, role: .reader)
            let broker = try broker(services)
            let id = try context.parameters.require("id")
            guard let item = try await broker.store.request(id: id) else { throw HTTPError(.notFound, message: "no request \(id)") }
            return try ControlServer.json(RequestDescription(item, decisions: try await broker.store.decisions(requestID: id)))
        }
        // Server-sent events: every new and closed request and grant from now on (`event:
        // approval_requested`, `approval_closed`, `grant_requested` or `grant_decided`, `data:` the
        // request or grant as JSON).
        router.get("/v1/events") { request, _ -> Response in
            _ = try await ControlServer.authorize(request, services, role: .reader)
            let broker = try broker(services)
            let stream = broker.events.subscribe()
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": ringgate approval events\n\n"))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                for await event in stream {
                    let data = try event.subjectJSON(encoder)
                    try await writer.write(ByteBuffer(
                        string: "event: \(event.kind.rawValue)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                }
                try await writer.finish(nil)
            })
        }
        for (path, verdict) in [("approve", ApprovalVerdict.approve), ("deny", ApprovalVerdict.deny)] {
            router.post("/v1/requests/:id/\(path)") { request, context -> Response in
                let caller = try await ControlServer.authenticate(request, services)
                let broker = try broker(services)
                let id = try context.parameters.require("id")
                let body = try await request.body.collect(upTo: 64 * 1024)
                let comment = (try? JSONDecoder().decode(DecisionBody.self, from: Data(buffer: body)))?.comment
                do {
                    let state = try await broker.decide(
                        id, verdict: verdict, by: caller.name, groups: caller.groups,
                        fallbackApprovers: services.settings.approverGroups, comment: comment)
                    return try ControlServer.json(["request": id, "state": state.rawValue])
                } catch let error as ApprovalAuthorizationError {
                    throw HTTPError(.forbidden, message: error.description)
                } catch let error as ControlStoreError {
                    throw decisionError(error)
                }
            }
        }
    }

    /// The API's status for what the store refuses when a request or grant is decided.
    static func decisionError(_ error: ControlStoreError) -> HTTPError {
        switch error {
        case .notFound: HTTPError(.notFound, message: error.description)
        case .selfApproval: HTTPError(.forbidden, message: error.description)
        case .alreadyDecided, .notPending: HTTPError(.conflict, message: error.description)
        default: HTTPError(.serviceUnavailable, message: "the control store failed")
        }
    }

    private static func broker(_ services: ControlServer.Services) throws -> ApprovalBroker {
        guard let broker = services.approvals else { throw HTTPError(.notFound, message: "approvals are not enabled") }
        return broker
    }

    struct DecisionBody: Decodable {
        var comment: String?
    }
}

/// An approval request as the API shows it.
struct RequestDescription: Codable, Sendable {
    struct Decision: Codable, Sendable {
        var approver: String
        var verdict: String
        var decidedAt: Double
        var comment: String?

        enum CodingKeys: String, CodingKey {
            case approver, verdict, comment
            case decidedAt = "decided_at"
        }
    }

    var id: String
    var state: String
    var identity: String
    var groups: [String]
    var resource: String
    var database: String
    var statement: String
    var classes: [String]
    var relations: [String]
    var justification: String?
    var rule: String?
    var approverGroups: [String]
    var requiredApprovals: Int
    var createdAt: Double
    var deadline: Double
    var replica: String
    var decisions: [Decision]

    init(_ request: ApprovalRequest, decisions: [ApprovalDecision]) {
        id = request.id
        state = request.state.rawValue
        identity = request.identity
        groups = request.groups
        resource = request.resource
        database = request.database
        statement = request.statement
        classes = request.classes
        relations = request.relations
        justification = request.justification
        rule = request.rule
        approverGroups = request.approverGroups
        requiredApprovals = request.requiredApprovals
        createdAt = request.createdAt.timeIntervalSince1970
        deadline = request.deadline.timeIntervalSince1970
        replica = request.replicaID
        self.decisions = decisions.map {
            Decision(approver: $0.approver, verdict: $0.verdict.rawValue, decidedAt: $0.decidedAt.timeIntervalSince1970, comment: $0.comment)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, state, identity, groups, resource, database, statement, classes, relations, justification, rule
        case replica, decisions
        case approverGroups = "approver_groups"
        case requiredApprovals = "required_approvals"
        case createdAt = "created_at"
        case deadline
    }
}
