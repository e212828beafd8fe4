; Inno Setup 6 script: a per-user installer for the one-folder Windows build.
;   1. On Windows, build the app:  pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\clary-desktop.spec
;   2. Compile this script:       iscc packaging\windows\clary-desktop.iss
;      -> dist\clary-desktop-<version>-windows-setup.exe
; No administrator rights: it installs into %LOCALAPPDATA%\Programs\Clary Desktop, adds a
; Start menu entry and an uninstaller (Settings > Apps), and opens .clarylicense files
; with Clary Desktop. Uninstalling keeps the user's models, catalog, settings and license
; (they live in %LOCALAPPDATA%\clary-desktop, which the program created, not the installer).

#define AppName "Clary Desktop"
#define AppVersion "0.1.0"
#define AppPublisher "Clary AI"
#define AppExe "clary-desktop.exe"
#define BuildDir "..\..\dist\clary-desktop"

[Setup]
; AppId identifies the program for upgrades and the uninstaller: never change it.
AppId={{6C1F3E0B-5D0A-4F5E-9C56-2B7D7E0C4A11}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppPublisherURL=https://clary.ai/
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=clary-desktop-{#AppVersion}-windows-setup
SetupIconFile=..\..\resources\icons\clary-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
ChangesAssociations=yes
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder build: clary-desktop.exe, clary-models.exe and _internal\.
Source: "{#BuildDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundled libraries whole (no stale files from an older version).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Browse, download and manage your Clary AI models"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; .clarylicense files open in Clary Desktop (per user: HKCU\Software\Classes).
Root: HKA; Subkey: "Software\Classes\.clarylicense"; ValueType: string; ValueName: ""; ValueData: "ClaryDesktop.License"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.clarylicense\OpenWithProgids"; ValueType: string; ValueName: "ClaryDesktop.License"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\ClaryDesktop.License"; ValueType: string; ValueName: ""; ValueData: "Clary Desktop license"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\ClaryDesktop.License\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\ClaryDesktop.License\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" --license ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".clarylicense"; ValueData: ""; Flags: uninsdeletekey

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
