import Gateway
import Testing

/// `gateway.recording` and `resources[].record`.
@Suite struct ConfigRecordingTests {
    static func yaml(gateway: String, record: String = "", protocolName: String = "postgres") -> String {
        """
        gateway:
        \(gateway)
        resources:
          - name: pg
            protocol: \(protocolName)
            listen: 127.0.0.1:6432
            upstream: 127.0.0.1:5432
        \(record)
        """
    }

    static func diagnostics(_ yaml: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
            return []
        } catch {
            return error.diagnostics.map { "\($0.path): \($0.message)" }
        }
    }

    @Test func recordingSettingsParse() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(gateway: """
              recording:
                directory: /var/lib/ringgate/recordings
                on_failure: pause
                buffer_size: 128KiB
                queue_buffers: 8
                max_file_size: 1GiB
            """, record: "    record: false"))
        #expect(config.gateway.recording == RecordingSettings(
            directory: "/var/lib/ringgate/recordings", onFailure: .pause, bufferSize: 128 << 10, queueBuffers: 8, maxFileSize: 1 << 30))
        #expect(config.resources[0].record == false)
        let defaults = try ConfigLoader.parse(yaml: Self.yaml(gateway: "  recording:\n    directory: /rec"))
        #expect(defaults.gateway.recording == RecordingSettings(directory: "/rec", onFailure: .close, bufferSize: 64 << 10, queueBuffers: 4))
        #expect(defaults.resources[0].record == nil, "recorded by default once recording is configured")
    }

    @Test func recordingMistakesAreReported() {
        let bad = Self.diagnostics(Self.yaml(gateway: """
              recording:
                on_failure: drop
                buffer_size: 1KiB
                queue_buffers: 1
                max_file_size: 2KiB
                rotate: daily
            """))
        #expect(bad.count == 2 && bad[0] == "gateway.recording.directory: missing required field 'directory'")
        #expect(bad.last?.hasPrefix("gateway.recording.rotate: unknown key 'rotate'") == true)
        let values = Self.diagnostics(Self.yaml(gateway: """
              recording:
                directory: /rec
                on_failure: drop
                buffer_size: 1KiB
                queue_buffers: 1
                max_file_size: 2KiB
            """))
        #expect(values == [
            "gateway.recording.on_failure: invalid value 'drop' (expected one of: pause, close)",
            "gateway.recording.buffer_size: 1024 is out of range 4096...16777216 bytes",
            "gateway.recording.queue_buffers: 1 is out of range 2...1024",
            "gateway.recording.max_file_size: must be at least buffer_size (65536 bytes)",
        ])
        let withoutRecording = Self.diagnostics(Self.yaml(gateway: "  loops: 1", record: "    record: true"))
        #expect(withoutRecording == ["resources[0].record: record: true needs gateway.recording (a directory)"])
        let onTCP = Self.diagnostics(Self.yaml(gateway: "  recording:\n    directory: /rec", record: "    record: true", protocolName: "tcp"))
        #expect(onTCP == ["resources[0].record: recording applies to postgres resources only"])
    }
}
