import ArgumentParser
import Foundation
import PrezeroModel
import PrezeroTrace

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks of the paths a command reads and writes, made before any work, in plain words.
enum Paths {
    /// A trace (or `-`) that can be read: exists, is not a directory, is readable.
    static func checkInput(_ path: String, what: String = "trace") throws {
        guard path != "-" else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(path): no such \(what) file")
        }
        if isDirectory.boolValue {
            let problem = TraceInput.directoryProblem(path)
            if problem.hasPrefix("is a perf.data directory") { throw ValidationError("\(path): \(problem)") }
            throw ValidationError("\(path): is a directory; give a \(what) file (for every trace in it: \(path)/*.zst)")
        }
        guard access(path, R_OK) == 0 else { throw ValidationError("\(path): cannot read (\(String(cString: strerror(errno))))") }
    }

    /// A file the command will write: not a directory, in a directory that exists and is
    /// writable, or that can be created under one that is.
    static func checkOutput(_ path: String, option: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(option) \(path): is a directory; give a file name, e.g. \((path as NSString).appendingPathComponent("report.md"))")
        }
        try checkDirectory(PathNames.directory(of: path), for: path, option: option)
    }

    /// Creates the directory `path` will be written in, which `checkOutput` found creatable.
    static func createParent(of path: String) throws {
        let directory = PathNames.directory(of: path)
        guard !directory.isEmpty else { return }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create \(directory) (\(FileCheck.reason(error)))")
        }
    }

    /// A directory the command will write into (created if missing).
    static func checkDirectory(_ directory: String, for path: String, option: String) throws {
        var existing = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: existing, isDirectory: &isDirectory) {
            let parent = PathNames.directory(of: existing)
            existing = parent.isEmpty ? "." : parent
        }
        guard isDirectory.boolValue else {
            throw ValidationError("\(option) \(path): \(existing) is a file, not a directory")
        }
        guard access(existing, W_OK | X_OK) == 0 else {
            throw ValidationError("\(option) \(path): cannot write in \(existing) (\(String(cString: strerror(errno))))")
        }
    }
}

/// The outputs of one command, written as a set: each to a temporary name in its directory, then
/// all renamed into place, so a failure leaves none of them (and no stray temporary).
struct OutputSet {
    private var files: [(path: String, content: String)] = []

    mutating func add(_ path: String, _ content: String) { files.append((path, content)) }

    var paths: [String] { files.map(\.path) }

    func commit() throws {
        var written: [(temporary: String, path: String)] = []
        do {
            for file in files {
                let directory = PathNames.directory(of: file.path)
                if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
                let name = (file.path as NSString).lastPathComponent
                let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).prezero-\(getpid()).tmp"
                written.append((temporary, file.path))
                try Data(file.content.utf8).write(to: URL(fileURLWithPath: temporary))
            }
            for file in written where rename(file.temporary, file.path) != 0 {
                throw OutputError(path: file.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            for file in written { unlink(file.temporary) }
            if let error = error as? OutputError { throw error }
            throw OutputError(path: written.last?.path ?? "", reason: FileCheck.reason(error))
        }
    }

    struct OutputError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot write \(path) (\(reason)); nothing was written" }
    }
}
