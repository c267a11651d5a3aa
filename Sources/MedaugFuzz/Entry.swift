import Foundation
import MedaugImaging

#if MEDAUG_LIBFUZZER
/// libFuzzer's entry (scripts/fuzz builds with -sanitize=fuzzer and
/// -DMEDAUG_LIBFUZZER; libFuzzer supplies main). The target comes from
/// MEDAUG_FUZZ_TARGET.
private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["MEDAUG_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("MEDAUG_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue)), got '\(name)'")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target.run(bytes.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
}
#else
/// Without libFuzzer: `medaug-fuzz TARGET [--explain] FILE|FOLDER...` runs
/// every input through the target once (the regression inputs in
/// Tests/fuzz, and any corpus), printing how many ran and how many got all
/// the way through; `--explain` prints each input's outcome. A crash is the
/// failure. `medaug-fuzz --dataset-stream FILE.dcm OUT` writes GDCM's record
/// stream of a DICOM file: the annotations target's input format.
@main
struct Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--dataset-stream" {     // seeds of the annotations target
            guard arguments.count == 3 else {
                FileHandle.standardError.write(Data("usage: medaug-fuzz --dataset-stream FILE.dcm OUT\n".utf8))
                exit(2)
            }
            do {
                let stream = try DICOMDataSet.stream(path: arguments[1], maxBytes: 64 << 20)
                try Data(stream).write(to: URL(fileURLWithPath: arguments[2]))
                exit(0)
            } catch {
                FileHandle.standardError.write(Data("medaug-fuzz: \(error)\n".utf8))
                exit(1)
            }
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: medaug-fuzz \(names) FILE|FOLDER...\n".utf8))
            exit(2)
        }
        var count = 0, passed = 0
        let explain = arguments.contains("--explain")
        for input in arguments.dropFirst() where input != "--explain" {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("medaug-fuzz: no such file or folder '\(input)'\n".utf8))
                exit(2)
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []).sorted().map { input + "/" + $0 }
                : [input]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                let outcome = target.run(data)
                count += 1
                if outcome == "ok" { passed += 1 }
                if explain { print("\(file): \(outcome)") }
            }
        }
        try? FileManager.default.removeItem(atPath: FuzzTarget.scratch)
        print("medaug-fuzz \(name): \(count) input\(count == 1 ? "" : "s") ran without a crash, \(passed) accepted")
    }
}
#endif
