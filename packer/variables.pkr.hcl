# Every input of the runner image, typed, described and validated where Packer can.

variable "vm_base_name" {
  type        = string
  description = "OCI reference of the cirruslabs macOS image to build FROM, pinned by tag or digest (e.g. ghcr.io/cirruslabs/macos-tahoe-base:latest)."
  default     = "ghcr.io/cirruslabs/macos-tahoe-base:latest"
  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$", var.vm_base_name))
    error_message = "The vm_base_name must be an OCI reference like ghcr.io/cirruslabs/macos-tahoe-base:latest or …@sha256:<64 hex>."
  }
}

variable "vm_name" {
  type        = string
  description = "Name of the local Tart VM the build produces (overwritten if it exists: tart clone replaces silently)."
  default     = "tartfleet-runner"
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*$", var.vm_name))
    error_message = "The vm_name must be a local Tart name: letters, digits, '.', '_' or '-', no '/'."
  }
}

variable "macos_version" {
  type        = string
  description = "macOS release name of the base image, recorded in the image metadata (e.g. tahoe, sequoia)."
  default     = "tahoe"
  validation {
    condition     = contains(["sonoma", "sequoia", "tahoe"], var.macos_version)
    error_message = "The macos_version must be one of sonoma, sequoia, tahoe."
  }
}

variable "cpu_count" {
  type        = number
  description = "vCPUs of the build VM (the agent sets each job VM's own CPU count)."
  default     = 4
  validation {
    condition     = var.cpu_count >= 2 && var.cpu_count <= 32
    error_message = "The cpu_count must be between 2 and 32."
  }
}

variable "memory_gb" {
  type        = number
  description = "Memory of the build VM in GB."
  default     = 8
  validation {
    condition     = var.memory_gb >= 4 && var.memory_gb <= 128
    error_message = "The memory_gb must be between 4 and 128."
  }
}

variable "disk_size_gb" {
  type        = number
  description = "Disk size in GB; Xcode needs room to unpack (a .xip of ~10 GB expands to ~40 GB)."
  default     = 120
  validation {
    condition     = var.disk_size_gb >= 60
    error_message = "The disk_size_gb must be at least 60 GB for an Xcode image."
  }
}

variable "ssh_username" {
  type        = string
  description = "Guest account of the cirruslabs images."
  default     = "admin"
}

variable "ssh_password" {
  type        = string
  description = "Guest password for the build's SSH session. The cirruslabs images ship admin/admin; pass another with PKR_VAR_ssh_password if your base image differs."
  sensitive   = true
  default     = "admin"
}

variable "brew_packages" {
  type        = list(string)
  description = "Homebrew formulae installed into the image."
  default     = ["git", "git-lfs", "jq", "xcbeautify", "xcodes", "node", "cocoapods", "fastlane"]
  validation {
    condition     = alltrue([for p in var.brew_packages : can(regex("^[a-z0-9][a-z0-9@+._/-]*$", p))])
    error_message = "Each brew_packages entry must be a formula name (lowercase letters, digits, @+._/-)."
  }
}

variable "xcode_version" {
  type        = string
  description = "Xcode version to install and select (e.g. 26.1). Empty keeps whatever the base image has."
  default     = ""
  validation {
    condition     = var.xcode_version == "" || can(regex("^[0-9]+(\\.[0-9]+){0,2}( beta [0-9]+)?$", var.xcode_version))
    error_message = "The xcode_version must look like 26 or 26.1 or 26.1.1 (or be empty)."
  }
}

variable "xcode_xip_path" {
  type        = string
  description = "Path on the build host of a pre-downloaded Xcode .xip (avoids an Apple ID in CI). Empty: install with `xcodes` (needs XCODES_USERNAME/XCODES_PASSWORD in the build environment)."
  default     = ""
  validation {
    condition     = var.xcode_xip_path == "" || can(regex("\\.xip$", var.xcode_xip_path))
    error_message = "The xcode_xip_path must end in .xip (or be empty)."
  }
}

variable "runner_version" {
  type        = string
  description = "GitHub Actions runner to bake in: \"latest\" (the newest actions/runner release at build time) or a release like 2.330.0 (without the v)."
  default     = "latest"
  validation {
    condition     = var.runner_version == "latest" || can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.runner_version))
    error_message = "The runner_version must be \"latest\" or a release number like 2.330.0."
  }
}

variable "runner_sha256" {
  type        = string
  description = "Optional SHA-256 of actions-runner-osx-arm64-<version>.tar.gz. The download is always checked against the checksum the release publishes in its notes; when this is set it must match that too."
  default     = ""
  validation {
    condition     = var.runner_sha256 == "" || can(regex("^[0-9a-f]{64}$", var.runner_sha256))
    error_message = "The runner_sha256 must be 64 lowercase hex characters, or empty."
  }
}

variable "prewarm_repository" {
  type        = string
  description = "Optional HTTPS URL of a repository to build once so DerivedData and package caches start warm. Empty skips the step."
  default     = ""
  validation {
    condition     = var.prewarm_repository == "" || can(regex("^https://", var.prewarm_repository))
    error_message = "The prewarm_repository must be an https:// URL (or be empty)."
  }
}

variable "prewarm_scheme" {
  type        = string
  description = "Xcode scheme to build for the pre-warm step."
  default     = ""
}

variable "template_commit" {
  type        = string
  description = "Commit of these templates, recorded in the image metadata (the build workflow passes github.sha)."
  default     = "unknown"
}

variable "metadata_output_dir" {
  type        = string
  description = "Folder on the build host where <vm_name>.image.json is written beside the image."
  default     = "."
}
