import Gateway
import Testing

/// `gateway.store`: a path (SQLite) or a mapping naming the engine.
@Suite struct ConfigStoreTests {
    static func yaml(_ store: String) -> String {
        """
        gateway:
          store: \(store)
        resources: []
        """
    }

    static func diagnostics(_ store: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml(store), file: "test.yaml")
            return []
        } catch {
            return error.diagnostics.map { "\($0.path): \($0.message)" }
        }
    }

    @Test func storeSettingsParse() throws {
        let path = try ConfigLoader.parse(yaml: Self.yaml("/var/lib/ringgate/control.db")).gateway
        #expect(path.store == .sqlite(path: "/var/lib/ringgate/control.db") && path.storePath == "/var/lib/ringgate/control.db")
        let sqlite = try ConfigLoader.parse(yaml: Self.yaml("{engine: sqlite, path: /data/c.db}")).gateway
        #expect(sqlite.store == .sqlite(path: "/data/c.db"))
        let implicit = try ConfigLoader.parse(yaml: Self.yaml("{path: /data/c.db}")).gateway
        #expect(implicit.store == .sqlite(path: "/data/c.db"), "sqlite is the default engine")
        let postgres = try ConfigLoader.parse(yaml: Self.yaml("{engine: postgres, url_env: RINGGATE_STORE_URL}")).gateway
        #expect(postgres.store == .postgres(urlEnvironmentVariable: "RINGGATE_STORE_URL") && postgres.storePath == nil)
        let none = try ConfigLoader.parse(yaml: "resources: []").gateway
        #expect(none.store == nil)
    }

    /// Without `store`, the store is SQLite, `control.db` in the data directory (`data_dir`,
    /// `/var/lib/ringgate` by default); a relative SQLite path is taken from there too.
    @Test func theStoreDefaultsToSQLiteInTheDataDirectory() throws {
        let none = try ConfigLoader.parse(yaml: "resources: []").gateway
        #expect(none.dataDirectory == "/var/lib/ringgate")
        #expect(none.effectiveStore == .sqlite(path: "/var/lib/ringgate/control.db"))
        let moved = try ConfigLoader.parse(yaml: "gateway:\n  data_dir: /srv/rg/\nresources: []").gateway
        #expect(moved.dataDirectory == "/srv/rg/" && moved.effectiveStore == .sqlite(path: "/srv/rg/control.db"))
        let engineOnly = try ConfigLoader.parse(yaml: "gateway:\n  data_dir: /srv/rg\n  store: {engine: sqlite}\nresources: []").gateway
        #expect(engineOnly.store == .sqlite(path: "control.db") && engineOnly.effectiveStore == .sqlite(path: "/srv/rg/control.db"))
        let relative = try ConfigLoader.parse(yaml: "gateway:\n  data_dir: /srv/rg\n  store: state/c.db\nresources: []").gateway
        #expect(relative.effectiveStore == .sqlite(path: "/srv/rg/state/c.db"))
        let absolute = try ConfigLoader.parse(yaml: "gateway:\n  data_dir: /srv/rg\n  store: /data/c.db\nresources: []").gateway
        #expect(absolute.effectiveStore == .sqlite(path: "/data/c.db"))
        let postgres = try ConfigLoader.parse(yaml: Self.yaml("{engine: postgres, url_env: RINGGATE_STORE_URL}")).gateway
        #expect(postgres.effectiveStore == .postgres(urlEnvironmentVariable: "RINGGATE_STORE_URL"))

        let running = try ConfigLoader.parse(yaml: "resources: []")
        let reloaded = try ConfigLoader.parse(yaml: "gateway:\n  data_dir: /srv/rg\nresources: []")
        #expect(RestartRequiredChanges.between(running, reloaded).items == ["gateway (data_dir, store)"], "the default store moves with it")
        let pinned = try ConfigLoader.parse(yaml: "gateway:\n  store: /var/lib/ringgate/control.db\nresources: []")
        #expect(RestartRequiredChanges.between(running, pinned).isEmpty, "the same file, written out")
    }

    @Test func storeMistakesAreReported() {
        #expect(Self.diagnostics("{engine: mysql, path: /x}") == ["gateway.store.engine: invalid value 'mysql' (expected one of: sqlite, postgres)"])
        #expect(Self.diagnostics("{engine: postgres}") == ["gateway.store.url_env: missing required field 'url_env'"])
        #expect(Self.diagnostics("{engine: sqlite, path: /var/lib/x/}") == ["gateway.store.path: path names the store file, not a directory"])
        #expect(Self.diagnostics("''") == ["gateway.store: must not be empty"])
        #expect(Self.diagnostics("{engine: postgres, url_env: X, path: /x}") == ["gateway.store.path: path is for engine: sqlite (postgres takes url_env)"])
        #expect(Self.diagnostics("{engine: sqlite, path: /x, url_env: X}") == ["gateway.store.url_env: url_env is for engine: postgres (sqlite takes path)"])
        let url = Self.diagnostics("{engine: postgres, url_env: 'postgres://u:pw@h/db'}")
        #expect(url.count == 1 && url[0].hasPrefix("gateway.store.url_env: url_env names an environment variable"))
        #expect(url.allSatisfy { !$0.contains("pw@") }, "the URL is not echoed")
        let unknown = Self.diagnostics("{engine: postgres, url: 'postgres://u:pw@h/db'}")
        #expect(unknown.contains { $0.hasPrefix("gateway.store.url: unknown key 'url'") })
        #expect(Self.diagnostics("[a, b]") == ["gateway.store: expected a mapping, found a list"])
        let dataDir = (try? ConfigLoader.parse(yaml: "gateway:\n  data_dir: var/rg\nresources: []")).map { _ in [String]() }
        #expect(dataDir == nil, "a relative data_dir is refused")
    }
}
