import Foundation

/// A large masked read: `SELECT * FROM big` (1,000,000 rows of mixed text with card numbers
/// and e-mail addresses by default) read by psql to /dev/null, direct and through each ringgate
/// target; the best of `rounds` wall times.
enum LargeResult {
    struct Sample: Codable {
        var target: String
        var rows: Int
        var seconds: Double
        var rowsPerSecond: Double
        /// Added time over direct, in percent (nil for direct).
        var addedPercent: Double?
    }

    static func prepare(_ cluster: PostgresCluster, rows: Int) throws {
        try cluster.psql("""
            CREATE TABLE big AS SELECT g AS id, 'customer ' || g AS name, 'user' || g || '@example.com' AS email,
              CASE WHEN g % 3 = 0 THEN '4111 1111 1111 1111' WHEN g % 3 = 1 THEN '5555555555554444' ELSE 'no card' END AS card,
              'order ' || g || ' paid with 4012888888881881, receipt to shop' || g % 97 || '@example.org' AS note
            FROM generate_series(1, \(rows)) g;
            ALTER TABLE big OWNER TO \(PGTargets.user);
            """, database: "bench")
    }

    static func measure(targets: [PGTarget], rows: Int, rounds: Int, work: String) throws -> [Sample] {
        var best: [String: Double] = [:]
        for _ in 0..<rounds {
            for target in targets {
                let start = Date()
                let result = try Command.run(
                    ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(target.port)",
                     "-U", PGTargets.user, "-d", "bench", "-c", "SELECT * FROM big"],
                    environment: ["PGPASSWORD": target.password], stdoutPath: work + "/big-\(target.name).out")
                let seconds = Date().timeIntervalSince(start)
                _ = result
                best[target.name] = min(best[target.name] ?? .infinity, seconds)
            }
        }
        let direct = best["direct"]
        return targets.map { target in
            let seconds = best[target.name] ?? 0
            return Sample(target: target.name, rows: rows, seconds: seconds, rowsPerSecond: Double(rows) / seconds,
                          addedPercent: target.name == "direct" ? nil : direct.map { (seconds / $0 - 1) * 100 })
        }
    }

    /// Whether the masked read through the gateway left every card and e-mail masked.
    static func leakedValues(work: String) -> Int {
        guard let text = try? String(contentsOfFile: work + "/big-ringgate-postgres.out", encoding: .utf8) else { return -1 }
        var count = 0
        for secret in ["4111 1111 1111 1111", "5555555555554444", "4012888888881881", "@example.com"] {
            count += text.components(separatedBy: secret).count - 1
        }
        return count
    }
}
