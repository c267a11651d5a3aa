import Foundation
import MedaugC
import MedaugEngine
import MedaugImaging
import MedaugModels

/// The parsers and entry points fed hostile bytes by `scripts/fuzz`
/// (libFuzzer) and replayed by the tests (`medaug-fuzz TARGET FILES`).
///
/// Each target must return for every input: a thrown error is the expected
/// answer to bad bytes; a trap, a sanitizer report, a leak or a hang is a
/// bug. `run` says how far the input got ("ok", or the first error), so a
/// seed corpus can be checked to reach the decoding paths. Budgets are
/// small so one input stays fast under ASan.
enum FuzzTarget: String, CaseIterable {
    case tiff, nifti, dicom, annotations, safetensors, augmentation, manifest, abi

    /// A per-process scratch folder for targets whose library needs a path.
    static let scratch: String = {
        let base = ProcessInfo.processInfo.environment["MEDAUG_FUZZ_TMP"] ?? NSTemporaryDirectory()
        let folder = (base as NSString).appendingPathComponent("medaug-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// Runs one input; returns "ok" or what stopped it.
    @discardableResult
    func run(_ data: Data) -> String {
        do {
            switch self {
            case .tiff: try Self.tiff(data)
            case .nifti: try Self.nifti(data)
            case .dicom: try Self.dicom(data)
            case .annotations: try Self.annotations(data)
            case .safetensors: try Self.safetensors(data)
            case .augmentation: try Self.augmentation(data)
            case .manifest: try Self.manifest(data)
            case .abi: return Self.abi(data)
            }
            return "ok"
        } catch {
            return "\(error)"
        }
    }

    private static func file(_ name: String, _ data: Data) -> String {
        let path = (scratch as NSString).appendingPathComponent(name)
        // The harness's own scratch file: failing to write it is not an
        // input's fault, so it stops the run instead of counting as an error.
        precondition(FileManager.default.createFile(atPath: path, contents: data), "cannot write \(path)")
        return path
    }

    static func tiff(_ data: Data) throws {
        let limits = TIFFLimits(maxPixels: 1 << 20, maxBytes: 64 << 20, maxPages: 64)
        _ = try TIFFFile.open(path: file("in.tif", data), limits: limits).readAll()
    }

    static func nifti(_ data: Data) throws {
        // gzip magic: the .nii.gz path (nifticlib through zlib); else .nii.
        let gz = data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
        let path = file(gz ? "in.nii.gz" : "in.nii", data)
        let canonical = try NIfTIReader.read(path: path, limits: NIfTILimits(maxVoxels: 1 << 20)).canonical()
        _ = try canonical.slice(.axial, index: canonical.sliceCount(.axial) / 2)
    }

    static func dicom(_ data: Data) throws {
        let path = file("in.dcm", data)
        // The framing check is ours and in-process; GDCM runs in a forked
        // child (crash-isolated, and invisible to coverage), which costs
        // ~30 ms under ASan: only one framed input in 8 (chosen by a hash
        // of its bytes, so an input always takes the same path) is decoded.
        try DICOMStructure.validate(path: path)
        guard data.reduce(UInt32(2_166_136_261), { ($0 ^ UInt32($1)) &* 16_777_619 }) % 8 == 0 else { return }
        _ = try DICOMReader.read(path: path, limits: DICOMLimits(maxVoxels: 1 << 20, maxFiles: 4))
    }

    /// DICOM SEG and RT Structure Set decoding, in process. The input is
    /// GDCM's record stream of a file (`DICOMDataSet.stream`; the seeds are
    /// streams of highdicom- and pydicom-written files): GDCM frames the
    /// data set in the forked decoder process, and every value in it is the
    /// file's, read by the code under test here.
    static func annotations(_ data: Data) throws {
        let dataSet = try data.withUnsafeBytes {
            try DICOMDataSet.parse($0.bindMemory(to: UInt8.self), path: "in.dcm")
        }
        if DICOMStructureSet.isStructureSet(dataSet) {
            _ = try DICOMStructureSet.read(dataSet, path: "in.dcm", onGridOf: annotationGrid, values: nil)
        } else {
            _ = try DICOMSegmentation.read(dataSet, path: "in.dcm", onGridOf: annotationGrid, maxVoxels: 1 << 20,
                                           sourcePositions: { [:] })
        }
    }

    /// The grid of the annotation seeds' image series (make_seeds.py): 16 ×
    /// 16 × 4 voxels of 1 mm, axial, the first voxel at the origin; LPS as
    /// DICOM states it, RAS here.
    static let annotationGrid: NIfTIVolume = {
        do {
            let affine = try NIfTIVolume.Affine(rowMajor: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0])
            return try NIfTIVolume(dimensions: .init(x: 16, y: 16, z: 4), values: [Float](repeating: 0, count: 1024),
                                   voxelSize: SIMD3(1, 1, 1), affine: affine)
        } catch {
            fatalError("the annotation fuzz grid: \(error)")
        }
    }()

    static func safetensors(_ data: Data) throws {
        let model = try data.withUnsafeBytes { try ModelFile(storage: try SafetensorsFile(bytes: $0)) }
        // Small graphs only: a valid 256x256 paper model would take seconds per input.
        guard model.config.common.imageSize <= 64 else { return }
        _ = try Model(file: model).makeSession(threads: 1)
    }

    static func augmentation(_ data: Data) throws {
        let pipeline = try AugmentationPipeline(json: String(decoding: data, as: UTF8.self))
        let side = 12
        let image = (0..<(side * side)).map { Float($0 % 7) / 3 - 1 }
        let mask = (0..<(side * side)).map { Int32($0 % 3) }
        let pair = try ImagePair(channels: 1, height: side, width: side, image: image, mask: mask)
        _ = try Augmenter(pipeline: pipeline).apply(to: pair, seed: 7)
    }

    static func manifest(_ data: Data) throws {
        let folder = (scratch as NSString).appendingPathComponent("dataset")
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        precondition(FileManager.default.createFile(atPath: folder + "/manifest.json", contents: data),
                     "cannot write \(folder)/manifest.json")
        _ = try DatasetManifest.read(folder: folder)
        _ = try DatasetPairs.load(folder: folder, split: .train)
    }

    /// The C entry points that take sizes and buffers: the first byte picks one.
    static func abi(_ data: Data) -> String {
        guard let selector = data.first else { return "empty" }
        let rest = Data(data.dropFirst())
        var status: Int32 = 0
        switch selector % 3 {
        case 0:   // model bytes in memory
            var model: OpaquePointer?
            status = rest.withUnsafeBytes { medaug_model_load_memory($0.baseAddress, UInt($0.count), &model) }
            if status == 0, let model {
                var json: UnsafeMutablePointer<CChar>?
                if medaug_model_config_json(model, &json) == 0 { medaug_string_free(json) }
                _ = medaug_model_free(model)
            }
        case 1:   // augmentation: sizes from the next bytes, then the pipeline JSON
            guard rest.count >= 3 else { return "short" }
            let bytes = [UInt8](rest)
            let (c, h, w) = (Int(bytes[0] % 4) + 1, Int(bytes[1] % 24) + 1, Int(bytes[2] % 24) + 1)
            let image = [Float](repeating: 0.5, count: c * h * w), mask = [Int32](repeating: 1, count: h * w)
            var outImage = [Float](repeating: 0, count: c * h * w), outMask = [Int32](repeating: 0, count: h * w)
            let json = String(decoding: bytes.dropFirst(3), as: UTF8.self)
            status = medaug_augment(image, mask, UInt(c), UInt(h), UInt(w), json, 3, nil, &outImage, &outMask)
        default:  // metrics on fuzzed class indices
            guard rest.count >= 4 else { return "short" }
            let bytes = [UInt8](rest)
            let classes = Int(bytes[0] % 8) + 1, h = Int(bytes[1] % 16) + 1, w = Int(bytes[2] % 16) + 1
            let values = bytes.dropFirst(3)
            // A high first byte lets predictions leave the class range (the refusal path).
            let range = UInt8(classes + (bytes[0] >= 128 ? 1 : 0))
            let prediction = (0..<(h * w)).map { Int32(values[values.startIndex + $0 % values.count] % range) }
            let truth = (0..<(h * w)).map { Int32(values[values.startIndex + ($0 * 7) % values.count] % UInt8(classes)) }
            var json: UnsafeMutablePointer<CChar>?
            status = medaug_metrics(prediction, truth, 1, UInt(h), UInt(w), UInt(classes), nil, &json)
            if status == 0 { medaug_string_free(json) }
        }
        return status == 0 ? "ok" : "status \(status)"
    }
}
