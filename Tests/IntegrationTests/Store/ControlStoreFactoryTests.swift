import Foundation
@testable import Gateway
import Testing

/// `gateway.store` from a configuration file to an open store, on both engines.
@Suite struct ControlStoreFactoryTests {
    static func settings(_ store: String) throws -> StoreSettings {
        let yaml = """
            gateway:
              store: \(store)
            resources: []
            """
        return try #require(try ConfigLoader.parse(yaml: yaml, file: "test.yaml").gateway.store)
    }

    @Test func aSQLiteStoreIsOneOwnerOnlyFileInWALMode() async throws {
        let directory = try StoreFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/control.db"
        let store = try await ControlStoreFactory.open(try Self.settings(path))
        #expect(store.engineName == "sqlite")
        try await store.addRevocation(TokenRevocation(jti: "j", revokedAt: StoreTestData.at(1), expiresAt: StoreTestData.at(2)))
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let sqlite = try #require(store as? SQLControlStore<SQLiteStoreEngine>)
        let mode = try await sqlite.engine.transaction { try await $0.query("PRAGMA journal_mode").first?.string("journal_mode") }
        #expect(mode == "wal")
        await store.close()
    }

    /// With no `store` configured, the gateway's store is `control.db` in `data_dir`, created
    /// (with the directory, owner-only) on first open, in WAL mode.
    @Test func theDefaultStoreIsCreatedInTheDataDirectory() async throws {
        let parent = try StoreFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let dataDirectory = parent + "/data"
        let gateway = try ConfigLoader.parse(yaml: "gateway:\n  data_dir: \(dataDirectory)\nresources: []", file: "test.yaml").gateway
        #expect(gateway.store == nil)
        let store = try await ControlStoreFactory.open(gateway)
        #expect(store.engineName == "sqlite")
        try await store.createGrant(StoreTestData.grant("g1"))
        await store.close()
        var info = stat()
        #expect(stat(dataDirectory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(stat(dataDirectory + "/control.db", &info) == 0 && info.st_mode & 0o777 == 0o600)
        let reopened = try await ControlStoreFactory.openSQLite(path: dataDirectory + "/control.db")
        #expect(try await reopened.grants().map(\.id) == ["g1"], "the same file")
        let sqlite = try #require(reopened as? SQLControlStore<SQLiteStoreEngine>)
        let mode = try await sqlite.engine.transaction { try await $0.query("PRAGMA journal_mode").first?.string("journal_mode") }
        #expect(mode == "wal")
        await reopened.close()
    }

    @Test(.enabled(if: PostgresStoreChangeTests.enabled, "PostgreSQL 15 is not installed"))
    func aPostgresStoreReadsItsURLFromTheEnvironment() async throws {
        let fixture = try StoreFixture.make(.postgres)
        let settings = try Self.settings("{engine: postgres, url_env: RINGGATE_TEST_STORE_URL}")
        #expect(settings == .postgres(urlEnvironmentVariable: "RINGGATE_TEST_STORE_URL"))
        let store = try await ControlStoreFactory.open(
            settings, environment: ["RINGGATE_TEST_STORE_URL": fixture.location], timeout: .seconds(120))
        #expect(store.engineName == "postgres")
        try await store.createGrant(StoreTestData.grant("g1"))
        #expect(try await store.grants().map(\.id) == ["g1"])
        await store.close()

        let missing = await storeError { try await ControlStoreFactory.open(settings, environment: [:]) }
        #expect(missing == .configuration("environment variable RINGGATE_TEST_STORE_URL (the PostgreSQL store URL) is not set"))
        let unreachable = "postgres://postgres:hunter2-secret@127.0.0.1:1/db?sslmode=disable"
        do {
            _ = try await ControlStoreFactory.open(settings, environment: ["RINGGATE_TEST_STORE_URL": unreachable],
                                                  timeout: .seconds(2))
            Issue.record("a store nobody listens for opened")
        } catch {
            #expect(!"\(error)".contains("hunter2-secret"), "the password is not in the error")
        }
    }

    @Test func storeURLsAreReadLikeLibpq() throws {
        let configuration = try PostgresStoreURL.configuration("postgresql://gw:pw@db.internal:6543/control?sslmode=require")
        #expect(configuration.host == "db.internal" && configuration.port == 6543)
        #expect(configuration.username == "gw" && configuration.password == "pw" && configuration.database == "control")
        let defaults = try PostgresStoreURL.configuration("postgres://gw@db")
        #expect(defaults.port == 5432 && defaults.database == "gw" && defaults.password == nil)
        for bad in ["mysql://gw@db/x", "postgres:///x", "postgres://db/x", "postgres://gw@db/x?sslmode=allow", "postgres://gw@db/x?connect_timeout=1"] {
            #expect(throws: ControlStoreError.self, "\(bad)") { try PostgresStoreURL.configuration(bad) }
        }
    }
}
