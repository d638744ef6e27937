# The tartfleet runner image: a cirruslabs macOS image (OCI) plus everything a job needs to start
# fast — Homebrew tools, Xcode, the GitHub Actions runner (the newest release unless pinned, checksummed),
# and the guest scripts the host agent drives (packer/guest/, the same files the simulator's image
# carries). Build: see packer/README.md.

packer {
  required_plugins {
    tart = {
      # 1.12 is the first release with `recovery_partition` and the tart 2.x `set` flags we rely on.
      version = ">= 1.12.0"
      source  = "github.com/cirruslabs/tart"
    }
  }
}

source "tart-cli" "runner" {
  vm_base_name = var.vm_base_name
  vm_name      = var.vm_name
  cpu_count    = var.cpu_count
  memory_gb    = var.memory_gb
  disk_size_gb = var.disk_size_gb
  headless     = true
  # Keep tart's pull of the base image explicit so a stale cached tag is never built upon.
  always_pull  = true
  ssh_username = var.ssh_username
  ssh_password = var.ssh_password
  ssh_timeout  = "180s"
  # A pre-downloaded Xcode .xip is shared read-only into the VM instead of being copied over SSH;
  # macOS guests mount it at "/Volumes/My Shared Files/xcode".
  run_extra_args = var.xcode_xip_path == "" ? [] : ["--dir=xcode:${dirname(var.xcode_xip_path)}:ro"]
}

build {
  name    = "tartfleet-runner"
  sources = ["source.tart-cli.runner"]

  # 1. System settings a CI guest needs: auto-login, no sleep, passwordless sudo for power-off.
  provisioner "shell" {
    script           = "${path.root}/scripts/configure-system.sh"
    execute_command  = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
    environment_vars = ["TF_SSH_USER=${var.ssh_username}"]
  }

  # 2. Homebrew and the tool list.
  provisioner "shell" {
    script           = "${path.root}/scripts/install-tools.sh"
    execute_command  = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
    environment_vars = ["TF_BREW_PACKAGES=${join(" ", var.brew_packages)}"]
  }

  # 3. Xcode: from the shared pre-downloaded .xip, or through `xcodes`.
  provisioner "shell" {
    script           = "${path.root}/scripts/install-xcode.sh"
    execute_command  = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
    environment_vars = ["TF_XCODE_VERSION=${var.xcode_version}", "TF_XCODE_XIP=${var.xcode_xip_path == "" ? "" : "/Volumes/My Shared Files/xcode/${basename(var.xcode_xip_path)}"}"]
    timeout          = "3h"
  }

  # 4. The GitHub Actions runner, the newest release unless runner_version pins one, its SHA-256
  #    checked against the release's published checksum before it is unpacked.
  provisioner "shell" {
    script          = "${path.root}/scripts/install-runner.sh"
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "TF_RUNNER_VERSION=${var.runner_version}",
      "TF_RUNNER_SHA256=${var.runner_sha256}",
    ]
  }

  # 5. The guest scripts the agent runs over SSH, installed where it expects them.
  provisioner "shell" {
    inline = ["mkdir -p /Users/${var.ssh_username}/.tartfleet"]
  }
  provisioner "file" {
    source      = "${path.root}/guest/"
    destination = "/Users/${var.ssh_username}/.tartfleet"
  }
  provisioner "shell" {
    inline = ["chmod 0755 /Users/${var.ssh_username}/.tartfleet/*.sh"]
  }

  # 6. Optional: build a repository once so jobs start with a warm DerivedData.
  provisioner "shell" {
    script           = "${path.root}/scripts/prewarm-deriveddata.sh"
    execute_command  = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
    environment_vars = ["TF_PREWARM_REPO=${var.prewarm_repository}", "TF_PREWARM_SCHEME=${var.prewarm_scheme}"]
  }

  # 7. Cleanup: caches, logs, shell history — everything a job should not inherit.
  provisioner "shell" {
    script          = "${path.root}/scripts/cleanup.sh"
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
  }

  # 8. Image metadata, inside the image (for the agent in the guest) and beside it (for rollout).
  provisioner "shell" {
    script          = "${path.root}/scripts/write-metadata.sh"
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "TF_XCODE_VERSION=${var.xcode_version}",
      "TF_TEMPLATE_COMMIT=${var.template_commit}",
      "TF_BUILD_DATE=${timestamp()}",
      "TF_METADATA_PATH=/Users/${var.ssh_username}/.tartfleet/image.json",
    ]
  }
  provisioner "file" {
    direction   = "download"
    source      = "/Users/${var.ssh_username}/.tartfleet/image.json"
    destination = "${var.metadata_output_dir}/${var.vm_name}.image.json"
  }
}
