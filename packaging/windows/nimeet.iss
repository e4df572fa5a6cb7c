; Inno Setup script: the Windows installer of NIMeet, from the bundle build_installer.spec wrote (dist\nimeet).
; Built on a Windows machine (.github/workflows/installers.yml), from the repository root:
;
;   iscc /DAppVersion=0.1.0 /DIconFile=build\build_installer\icons\nimeet.ico packaging\windows\nimeet.iss
;
; It installs the whole folder (three programs sharing _internal\), a Start menu entry for nimeet.exe, and registers
; the nimeet: URL protocol so that clicking an invitation link (nimeet://join/<id>?server=...) starts the app with the
; link as its argument (nimeet_desktop/app.py parses it; a running instance gets it forwarded). Per-user by default
; (HKCU, no administrator needed); installing for all users writes the same keys under HKLM (HKA = the right one).
; Cannot be built or run on Linux: CI builds it on windows-latest and runs the installed nimeet.exe --smoke-test.

#ifndef AppVersion
  #error Pass /DAppVersion=<version from pyproject.toml>
#endif
#ifndef IconFile
  #define IconFile "..\..\build\build_installer\icons\nimeet.ico"
#endif
#ifndef DistDir
  #define DistDir "..\..\dist\nimeet"
#endif

[Setup]
AppId={{6F2E1B7C-4C1D-4E0B-9B7A-5C7E2A9D3F11}
AppName=NIMeet
AppVersion={#AppVersion}
AppPublisher=NIMeet
DefaultDirName={autopf}\NIMeet
DefaultGroupName=NIMeet
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=nimeet-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\nimeet.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; The app must not be running while its files are replaced.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "russian"; MessagesFile: "compiler:Languages\Russian.isl"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\NIMeet"; Filename: "{app}\nimeet.exe"
Name: "{autodesktop}\NIMeet"; Filename: "{app}\nimeet.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Registry]
; The nimeet: URL protocol (Software\Classes\nimeet): "URL Protocol" marks it as one, shell\open\command is what the
; browser or Explorer runs with the link as %1. Removed on uninstall.
Root: HKA; Subkey: "Software\Classes\nimeet"; ValueType: string; ValueName: ""; ValueData: "URL:NIMeet invitation"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\nimeet"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\nimeet\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\nimeet.exe"",0"
Root: HKA; Subkey: "Software\Classes\nimeet\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\nimeet.exe"" ""%1"""

[Run]
Filename: "{app}\nimeet.exe"; Description: "{cm:LaunchProgram,NIMeet}"; Flags: nowait postinstall skipifsilent
