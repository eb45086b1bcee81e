"""The node classes the emulated ComfyUI knows, in ``GET /object_info``'s shape, and the model files it has.

Each entry follows upstream's ``node_info`` (server.py): ``input`` (``required``/``optional``: name → ``[type,
options]``, a list of values for a combo), ``input_order``, ``output``, ``output_is_list``, ``output_name``,
``name``, ``display_name``, ``description``, ``python_module``, ``category``, ``output_node``.  The inputs are
those of the nodes in ComfyUI's own Wan 2.2 TI2V-5B and LTX-Video workflow templates (nodes.py, comfy_extras/
nodes_wan.py, nodes_lt.py, nodes_video.py, nodes_custom_sampler.py, nodes_model_advanced.py), reduced to what
those workflows use.  The model-file combos list the files of :data:`DEFAULT_MODELS` (a test removes one to
show ``videobot comfyui check`` naming it).
"""

from __future__ import annotations

from typing import Any

MAX_RESOLUTION = 16384
MAX_SEED = 0xFFFFFFFFFFFFFFFF
SAMPLERS = ["euler", "euler_ancestral", "dpmpp_2m", "uni_pc", "uni_pc_bh2", "res_multistep"]
SCHEDULERS = ["simple", "normal", "karras", "exponential", "sgm_uniform", "beta"]

# model folder → files present (the official names the templates use)
DEFAULT_MODELS: dict[str, list[str]] = {
    "diffusion_models": ["wan2.2_ti2v_5B_fp16.safetensors"],
    "text_encoders": ["umt5_xxl_fp8_e4m3fn_scaled.safetensors", "t5xxl_fp16.safetensors"],
    "vae": ["wan2.2_vae.safetensors"],
    "checkpoints": ["ltx-video-2b-v0.9.5.safetensors"],
}

# which inputs are model-file combos, per node class: (input name, model folder)
MODEL_INPUTS: dict[str, tuple[str, str]] = {
    "UNETLoader": ("unet_name", "diffusion_models"),
    "CLIPLoader": ("clip_name", "text_encoders"),
    "VAELoader": ("vae_name", "vae"),
    "CheckpointLoaderSimple": ("ckpt_name", "checkpoints"),
}

SAMPLER_NODES = {"KSampler": "steps", "SamplerCustom": None}  # nodes that report progress (value/max = steps)
OUTPUT_NODES = {"SaveVideo", "SaveAnimatedWEBP"}


def _int(default: int, lo: int, hi: int, step: int = 1) -> list[Any]:
    return ["INT", {"default": default, "min": lo, "max": hi, "step": step}]


def _float(default: float, lo: float, hi: float) -> list[Any]:
    return ["FLOAT", {"default": default, "min": lo, "max": hi, "step": 0.01}]


def _text() -> list[Any]:
    return ["STRING", {"multiline": True, "dynamicPrompts": True}]


def _node(
    name: str,
    required: dict[str, list[Any]],
    output: list[str],
    *,
    optional: dict[str, list[Any]] | None = None,
    output_name: list[str] | None = None,
    category: str = "sampling",
) -> dict[str, Any]:
    inputs: dict[str, Any] = {"required": required}
    if optional:
        inputs["optional"] = optional
    return {
        "input": inputs,
        "input_order": {key: list(value) for key, value in inputs.items()},
        "output": output,
        "output_is_list": [False] * len(output),
        "output_name": output_name or output,
        "name": name,
        "display_name": name,
        "description": "",
        "python_module": "nodes",
        "category": category,
        "output_node": name in OUTPUT_NODES,
    }


def object_info(models: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Every node class, with the model-file combos listing ``models``."""
    files = {folder: sorted(names) for folder, names in models.items()}
    nodes = [
        _node(
            "KSampler",
            {
                "model": ["MODEL"],
                "seed": ["INT", {"default": 0, "min": 0, "max": MAX_SEED, "control_after_generate": True}],
                "steps": _int(20, 1, 10000),
                "cfg": _float(8.0, 0.0, 100.0),
                "sampler_name": [SAMPLERS, {}],
                "scheduler": [SCHEDULERS, {}],
                "positive": ["CONDITIONING"],
                "negative": ["CONDITIONING"],
                "latent_image": ["LATENT"],
                "denoise": _float(1.0, 0.0, 1.0),
            },
            ["LATENT"],
        ),
        _node("CLIPTextEncode", {"text": _text(), "clip": ["CLIP"]}, ["CONDITIONING"], category="conditioning"),
        _node("VAEDecode", {"samples": ["LATENT"], "vae": ["VAE"]}, ["IMAGE"], category="latent"),
        _node(
            "UNETLoader",
            {"unet_name": [files.get("diffusion_models", []), {}], "weight_dtype": [["default", "fp8_e4m3fn"], {}]},
            ["MODEL"],
            category="loaders",
        ),
        _node(
            "CLIPLoader",
            {
                "clip_name": [files.get("text_encoders", []), {}],
                "type": [["stable_diffusion", "sd3", "ltxv", "wan", "hunyuan_video"], {}],
            },
            ["CLIP"],
            optional={"device": [["default", "cpu"], {"advanced": True}]},
            category="loaders",
        ),
        _node("VAELoader", {"vae_name": [files.get("vae", []), {}]}, ["VAE"], category="loaders"),
        _node(
            "CheckpointLoaderSimple",
            {"ckpt_name": [files.get("checkpoints", []), {}]},
            ["MODEL", "CLIP", "VAE"],
            category="loaders",
        ),
        _node("ModelSamplingSD3", {"model": ["MODEL"], "shift": _float(3.0, 0.0, 100.0)}, ["MODEL"]),
        _node("LoadImage", {"image": [["example.png"], {"image_upload": True}]}, ["IMAGE", "MASK"], category="image"),
        _node(
            "Wan22ImageToVideoLatent",
            {
                "vae": ["VAE"],
                "width": _int(1280, 32, MAX_RESOLUTION, 32),
                "height": _int(704, 32, MAX_RESOLUTION, 32),
                "length": _int(49, 1, MAX_RESOLUTION, 4),
                "batch_size": _int(1, 1, 4096),
            },
            ["LATENT"],
            optional={"start_image": ["IMAGE"]},
            category="conditioning/inpaint",
        ),
        _node(
            "CreateVideo",
            {"images": ["IMAGE"], "fps": _float(30.0, 1.0, 120.0)},
            ["VIDEO"],
            optional={"audio": ["AUDIO"]},
            category="image/video",
        ),
        _node(
            "SaveVideo",
            {
                "video": ["VIDEO"],
                "filename_prefix": ["STRING", {"default": "video/ComfyUI"}],
                "format": [["auto", "mp4"], {"default": "auto"}],
                "codec": [["auto", "h264"], {"default": "auto"}],
            },
            [],
            category="image/video",
        ),
        _node(
            "LTXVConditioning",
            {"positive": ["CONDITIONING"], "negative": ["CONDITIONING"], "frame_rate": _float(25.0, 0.0, 1000.0)},
            ["CONDITIONING", "CONDITIONING"],
            output_name=["positive", "negative"],
            category="conditioning/video_models",
        ),
        _node(
            "EmptyLTXVLatentVideo",
            {
                "width": _int(768, 64, MAX_RESOLUTION, 32),
                "height": _int(512, 64, MAX_RESOLUTION, 32),
                "length": _int(97, 1, MAX_RESOLUTION, 8),
                "batch_size": _int(1, 1, 4096),
            },
            ["LATENT"],
            category="latent/video/ltxv",
        ),
        _node(
            "LTXVImgToVideo",
            {
                "positive": ["CONDITIONING"],
                "negative": ["CONDITIONING"],
                "vae": ["VAE"],
                "image": ["IMAGE"],
                "width": _int(768, 64, MAX_RESOLUTION, 32),
                "height": _int(512, 64, MAX_RESOLUTION, 32),
                "length": _int(97, 9, MAX_RESOLUTION, 8),
                "batch_size": _int(1, 1, 4096),
                "strength": _float(1.0, 0.0, 1.0),
            },
            ["CONDITIONING", "CONDITIONING", "LATENT"],
            output_name=["positive", "negative", "latent"],
            category="conditioning/video_models",
        ),
        _node(
            "LTXVScheduler",
            {
                "steps": _int(20, 1, 10000),
                "max_shift": _float(2.05, 0.0, 100.0),
                "base_shift": _float(0.95, 0.0, 100.0),
                "stretch": ["BOOLEAN", {"default": True}],
                "terminal": _float(0.1, 0.0, 0.99),
            },
            ["SIGMAS"],
            optional={"latent": ["LATENT"]},
            category="sampling/custom_sampling/schedulers",
        ),
        _node("KSamplerSelect", {"sampler_name": [SAMPLERS, {}]}, ["SAMPLER"]),
        _node(
            "SamplerCustom",
            {
                "model": ["MODEL"],
                "add_noise": ["BOOLEAN", {"default": True}],
                "noise_seed": ["INT", {"default": 0, "min": 0, "max": MAX_SEED, "control_after_generate": True}],
                "cfg": _float(8.0, 0.0, 100.0),
                "positive": ["CONDITIONING"],
                "negative": ["CONDITIONING"],
                "sampler": ["SAMPLER"],
                "sigmas": ["SIGMAS"],
                "latent_image": ["LATENT"],
            },
            ["LATENT", "LATENT"],
            output_name=["output", "denoised_output"],
        ),
        _node(
            "SaveAnimatedWEBP",
            {
                "images": ["IMAGE"],
                "filename_prefix": ["STRING", {"default": "ComfyUI"}],
                "fps": _float(6.0, 0.01, 1000.0),
                "lossless": ["BOOLEAN", {"default": True}],
                "quality": _int(80, 0, 100),
                "method": [["default", "fastest", "slowest"], {}],
            },
            [],
            category="image/animation",
        ),
    ]
    return {node["name"]: node for node in nodes}
